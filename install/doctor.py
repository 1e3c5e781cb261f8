"""The installation half of ``foxbridge doctor``: each piece checked and explained.

One ``Check`` per finding: what is fine, or what is wrong and what to do. The keyring
and server checks need the daemon's libraries and live with the command
(``daemon/cli/doctor.py``); everything about registrations, the launcher, the daemon
process and autostart is here.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from host import EXTENSION_ORIGIN, HOST_NAME
from install import browsers, daemon_process
from install.commands import Runner
from install.layout import Layout
from install.machine import OS
from install.manifest import MANIFEST_FILE, launcher_in, manifest_problem
from install.record import InstallRecord, InstallRecordError
from install.registry import Registry
from install.sandboxes import find_sandboxed
from install.startup import Startup

PROBE_TIMEOUT = 30.0
REINSTALL = "run 'foxbridge install'"


class Level(StrEnum):
    OK = "✓"
    FAIL = "✗"
    WARN = "!"
    INFO = "·"


@dataclass(frozen=True)
class Check:
    level: Level
    message: str
    advice: str = ""

    def line(self) -> str:
        advice = f" — {self.advice}" if self.advice else ""
        return f"{self.level.value} {self.message}{advice}"


# Runs the launcher as the browser would and says what went wrong, if anything.
LauncherProbe = Callable[[Path], str | None]


def probe_launcher(launcher: Path) -> str | None:
    """Start the launcher with our origin and no input: the host must exit cleanly.

    The host reaches the daemon (starting it if needed), introduces itself, sees the
    browser's side closed, and exits 0. Anything else is a problem.
    """
    try:
        done = subprocess.run(  # noqa: S603 - our own launcher
            [str(launcher), EXTENSION_ORIGIN],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=PROBE_TIMEOUT,
            check=False,
        )
    except OSError as error:
        return f"it cannot be started ({error.strerror})"
    except subprocess.TimeoutExpired:
        return f"it did not exit within {PROBE_TIMEOUT:.0f} s"
    if done.returncode == 0:
        return None
    said = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return f"it exited with status {done.returncode}" + (f": {said[-1]}" if said else "")


@dataclass
class InstallationDoctor:
    layout: Layout
    runner: Runner
    registry: Registry
    probe: LauncherProbe = probe_launcher
    system_root: Path = Path("/")

    def checks(self) -> list[Check]:
        try:
            record = InstallRecord.load(self.layout.record_file)
        except InstallRecordError as error:
            return [Check(Level.FAIL, "the install record is damaged", str(error))]
        if not record.files:
            found = [Check(Level.FAIL, "foxbridge is not installed", REINSTALL)]
            return found + self._sandbox_checks()
        results = [self._launcher_check()]
        results += self._registration_checks(record)
        results += self._daemon_checks()
        if results[0].level is Level.OK:
            results.append(self._probe_check())
        results.append(self._autostart_check(record))
        results += self._sandbox_checks()
        return results

    # -- the pieces ---------------------------------------------------------------------

    def _launcher_check(self) -> Check:
        launcher = self.layout.launcher
        if not launcher.is_file():
            return Check(Level.FAIL, f"the launcher {launcher} is missing", REINSTALL)
        if self.layout.machine.os is not OS.WINDOWS and not os.access(launcher, os.X_OK):
            return Check(Level.FAIL, f"the launcher {launcher} is not executable", REINSTALL)
        return Check(Level.OK, f"launcher {launcher}")

    def _registration_checks(self, record: InstallRecord) -> list[Check]:
        if self.layout.machine.os is OS.WINDOWS:
            results = self._registry_checks(record)
        else:
            manifests = [
                Path(f)
                for f in record.files
                if Path(f).name == MANIFEST_FILE and Path(f) != self.layout.windows_manifest
            ]
            results = [self._manifest_check(path, path) for path in manifests]
            results += self._unregistered_browsers({p.parent for p in manifests})
        if not any(r.level is Level.OK for r in results):
            results.append(
                Check(Level.FAIL, "no browser is registered", "foxbridge install --browser NAME")
            )
        return results

    def _manifest_check(self, path: Path, shown: object) -> Check:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Check(Level.FAIL, f"host manifest {shown} is missing", REINSTALL)
        except (OSError, UnicodeDecodeError) as error:
            return Check(Level.FAIL, f"host manifest {shown} is unreadable ({error})", REINSTALL)
        problem = manifest_problem(text, self.layout.machine.os)
        if problem:
            return Check(Level.FAIL, f"host manifest {shown}: {problem}", REINSTALL)
        target = Path(launcher_in(text) or "")
        if target != self.layout.launcher:
            return Check(
                Level.FAIL,
                f"host manifest {shown} points at {target}, not at this installation's launcher",
                REINSTALL,
            )
        return Check(Level.OK, f"host manifest {shown}")

    def _registry_checks(self, record: InstallRecord) -> list[Check]:
        results = []
        for key, name in record.registry:
            if not key.endswith("\\" + HOST_NAME) or name:
                continue
            value = self.registry.get(key)
            if value is None:
                results.append(Check(Level.FAIL, f"HKCU\\{key} is missing", REINSTALL))
                continue
            results.append(self._manifest_check(Path(value), f"HKCU\\{key} → {value}"))
        return results

    def _unregistered_browsers(self, registered_folders: set[Path]) -> list[Check]:
        results = []
        machine = self.layout.machine
        for browser in browsers.BROWSERS:
            if not browsers.is_installed(browser, machine):
                continue
            folders = browsers.manifest_folders(browser, machine)
            if not registered_folders.intersection(folders):
                results.append(
                    Check(
                        Level.WARN,
                        f"{browser.name} is installed but not registered",
                        f"foxbridge install --browser {browser.key}",
                    )
                )
        return results

    def _daemon_checks(self) -> list[Check]:
        paths = self.layout.paths
        pid = daemon_process.running_pid(paths)
        if pid is None:
            return [
                Check(
                    Level.FAIL,
                    "the daemon is not running",
                    "the browser's host starts it when the extension connects; if it keeps "
                    "stopping, run 'foxbridge daemon' to see why",
                )
            ]
        results = [Check(Level.OK, f"daemon running (pid {pid})")]
        if self.layout.machine.os is OS.WINDOWS:
            return results
        socket_path = paths.socket_path
        if not daemon_process.socket_answers(socket_path):
            results.append(
                Check(
                    Level.FAIL,
                    f"the daemon does not answer on {socket_path}",
                    "restart it: 'foxbridge uninstall' then 'foxbridge install'",
                )
            )
            return results
        mode = stat.S_IMODE(socket_path.stat().st_mode)
        if mode != 0o600:
            results.append(
                Check(
                    Level.FAIL,
                    f"the daemon's socket {socket_path} has mode {mode:o}, not 600",
                    "other users may reach it: stop the daemon and report this",
                )
            )
        else:
            results.append(Check(Level.OK, f"daemon socket {socket_path} (mode 600)"))
        return results

    def _probe_check(self) -> Check:
        problem = self.probe(self.layout.launcher)
        if problem:
            return Check(
                Level.FAIL,
                f"the host does not start through the launcher: {problem}",
                "see the message above; 'foxbridge install' rewrites the launcher",
            )
        return Check(Level.OK, "the host starts through the launcher and reaches the daemon")

    def _autostart_check(self, record: InstallRecord) -> Check:
        mechanism = record.autostart
        if mechanism == "off":
            return Check(
                Level.INFO,
                "autostart is off (chosen at install); the browser starts the daemon when needed",
            )
        if mechanism is None:
            return Check(Level.FAIL, "autostart is not set up", REINSTALL)
        startup = Startup(self.layout, self.runner, self.registry)
        problem = startup.problem(mechanism)
        if problem:
            return Check(Level.FAIL, f"autostart ({mechanism}): {problem}", REINSTALL)
        return Check(Level.OK, f"autostart enabled ({mechanism})")

    def _sandbox_checks(self) -> list[Check]:
        return [
            Check(Level.WARN, f"{found.name} is a {found.kind}: cannot use foxbridge", found.advice)
            for found in find_sandboxed(self.layout.machine, self.system_root)
        ]
