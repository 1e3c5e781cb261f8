"""Doubles for the installer: a service-manager runner, a machine layout per OS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from daemon.paths import Paths
from install.commands import Outcome
from install.installer import Installer
from install.layout import Layout
from install.machine import OS, Machine
from install.registry import MemoryRegistry


@dataclass
class FakeRunner:
    """Answers like systemctl/launchctl would, keeping the state those tools keep."""

    user_systemd: bool = True
    calls: list[list[str]] = field(default_factory=list)
    enabled: set[str] = field(default_factory=set)
    loaded: set[str] = field(default_factory=set)
    failures: dict[str, Outcome] = field(default_factory=dict)  # "launchctl bootstrap": …

    def run(self, argv: list[str]) -> Outcome:
        self.calls.append(argv)
        for command, outcome in self.failures.items():
            if " ".join(argv).startswith(command):
                return outcome
        if argv[:2] == ["systemctl", "--user"]:
            return self._systemctl(argv[2:])
        if argv[0] == "launchctl":
            return self._launchctl(argv[1:])
        return Outcome(127, f"{argv[0]}: not found")

    def _systemctl(self, args: list[str]) -> Outcome:
        if not self.user_systemd:
            return Outcome(1, "Failed to connect to bus: No medium found")
        verb, rest = args[0], args[1:]
        unit = rest[-1] if rest else ""
        if verb in ("show-environment", "daemon-reload"):
            return Outcome(0, "")
        if verb == "is-enabled":
            return Outcome(0 if unit in self.enabled else 1, "")
        if verb == "is-active":
            return Outcome(0 if unit in self.loaded else 3, "")
        if verb == "enable":
            self.enabled.add(unit)
            self.loaded.add(unit)
            return Outcome(0, "")
        if verb == "disable":
            self.enabled.discard(unit)
            self.loaded.discard(unit)
            return Outcome(0, "")
        return Outcome(1, f"unknown verb {verb}")

    def _launchctl(self, args: list[str]) -> Outcome:
        verb = args[0]
        if verb == "bootstrap":
            label = Path(args[2]).stem
            self.loaded.add(f"{args[1]}/{label}")
            return Outcome(0, "")
        if verb == "bootout":
            present = args[1] in self.loaded
            self.loaded.discard(args[1])
            return Outcome(0 if present else 3, "")
        if verb == "print":
            return Outcome(0 if args[1] in self.loaded else 113, "")
        return Outcome(1, f"unknown verb {verb}")

    def verbs(self) -> list[str]:
        """The calls that change something, for asserting on idempotence."""
        quiet = {"show-environment", "is-enabled", "is-active", "print"}
        return [" ".join(c) for c in self.calls if not quiet & set(c)]


@dataclass
class FakeDaemon:
    is_running: bool = False
    starts: int = 0
    stops: int = 0

    def running(self) -> bool:
        return self.is_running

    def start(self) -> None:
        self.starts += 1
        self.is_running = True

    def stop(self) -> bool:
        was_running, self.is_running = self.is_running, False
        self.stops += was_running
        return was_running


@dataclass
class Rig:
    """An installer for one OS layout in a temporary HOME, with its doubles."""

    machine: Machine
    layout: Layout
    runner: FakeRunner
    registry: MemoryRegistry
    daemon: FakeDaemon
    installer: Installer
    system_root: Path


def paths_under(root: Path) -> Paths:
    return Paths(root / "config", root / "data", root / "log", root / "run")


@pytest.fixture
def make_rig(tmp_path: Path) -> Callable[..., Rig]:
    def make(os: OS, *, user_systemd: bool = True, env: dict[str, str] | None = None) -> Rig:
        home = tmp_path / f"home-{os}"
        home.mkdir(exist_ok=True)
        root = tmp_path / f"root-{os}"
        root.mkdir(exist_ok=True)
        machine = Machine(os, home, env or {}, uid=501)
        python = (
            Path("C:/Users/me/AppData/Local/foxbridge/venv/Scripts/python.exe")
            if os is OS.WINDOWS
            else home / "foxbridge-venv" / "bin" / "python"
        )
        layout = Layout(machine, paths_under(tmp_path / f"state-{os}"), python)
        runner = FakeRunner(user_systemd=user_systemd)
        registry = MemoryRegistry()
        daemon = FakeDaemon()
        installer = Installer(layout, runner, registry, daemon, system_root=root)
        return Rig(machine, layout, runner, registry, daemon, installer, root)

    return make


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its content (``None`` for folders)."""
    return {
        str(path.relative_to(root)): None if path.is_dir() else path.read_bytes()
        for path in sorted(root.rglob("*"))
    }
