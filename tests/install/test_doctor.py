"""The installation checks of ``foxbridge doctor``, each failure explained."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from host import HOST_NAME
from install.doctor import Check, InstallationDoctor, Level
from install.installer import InstallOptions
from install.machine import OS
from tests.install.conftest import Rig

MakeRig = Callable[..., Rig]


class Probe:
    def __init__(self, problem: str | None = None) -> None:
        self.problem = problem
        self.launched: list[Path] = []

    def __call__(self, launcher: Path) -> str | None:
        self.launched.append(launcher)
        return self.problem


@pytest.fixture
def listening_daemon(tmp_path: Path) -> Iterator[Callable[[Rig], socket.socket]]:
    """A stand-in daemon process state: the lock held and the socket listening."""
    opened: list[object] = []

    def start(rig: Rig) -> socket.socket:
        import fcntl

        paths = rig.layout.paths
        paths.runtime_dir.mkdir(parents=True, exist_ok=True)
        lock = open(paths.lock_file, "w")  # noqa: SIM115 - held for the test
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write("4242")
        lock.flush()
        old = os.umask(0o177)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(str(paths.socket_path))
        finally:
            os.umask(old)
        server.listen()
        opened.extend([lock, server])
        return server

    yield start
    for thing in opened:
        thing.close()  # type: ignore[attr-defined]


def doctor(rig: Rig, probe: Probe) -> list[Check]:
    return InstallationDoctor(
        rig.layout, rig.runner, rig.registry, probe, system_root=rig.system_root
    ).checks()


def lines(checks: list[Check]) -> str:
    return "\n".join(check.line() for check in checks)


def failures(checks: list[Check]) -> list[str]:
    return [check.line() for check in checks if check.level is Level.FAIL]


def test_a_healthy_installation(make_rig: MakeRig, listening_daemon) -> None:
    rig = make_rig(OS.LINUX)
    rig.installer.install(InstallOptions(browsers=["chrome", "edge"]))
    listening_daemon(rig)
    probe = Probe()

    checks = doctor(rig, probe)

    assert failures(checks) == []
    text = lines(checks)
    assert f"✓ launcher {rig.layout.launcher}" in text
    assert text.count("✓ host manifest") == 2
    assert "✓ daemon running (pid 4242)" in text
    assert "(mode 600)" in text
    assert "✓ the host starts through the launcher" in text
    assert "✓ autostart enabled (systemd)" in text
    assert probe.launched == [rig.layout.launcher]


def test_nothing_installed(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX)
    checks = doctor(rig, Probe())
    assert failures(checks) == ["✗ foxbridge is not installed — run 'foxbridge install'"]


def test_broken_pieces_are_each_explained(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX)
    rig.installer.install(InstallOptions(browsers=["chrome", "chromium", "brave"]))
    home = rig.machine.home
    chrome = home / ".config/google-chrome/NativeMessagingHosts" / f"{HOST_NAME}.json"
    chrome.write_text("{not json")
    chromium = home / ".config/chromium/NativeMessagingHosts" / f"{HOST_NAME}.json"
    manifest = json.loads(chromium.read_text())
    chromium.write_text(json.dumps({**manifest, "path": "/usr/bin/elsewhere"}))
    brave = home / ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts" / f"{HOST_NAME}.json"
    brave.unlink()
    rig.runner.enabled.clear()

    found = failures(doctor(rig, Probe()))

    assert any(f"{chrome}: it is not valid JSON" in line for line in found)
    assert any("points at /usr/bin/elsewhere" in line for line in found)
    assert any(f"host manifest {brave} is missing" in line for line in found)
    assert "✗ the daemon is not running" in "\n".join(found)
    assert any("foxbridge.service is not enabled" in line for line in found)


def test_a_launcher_that_does_not_start(make_rig: MakeRig, listening_daemon) -> None:
    rig = make_rig(OS.LINUX)
    rig.installer.install(InstallOptions(browsers=["chrome"]))
    listening_daemon(rig)
    found = failures(doctor(rig, Probe("it exited with status 1: No module named host")))
    assert found == [
        "✗ the host does not start through the launcher: it exited with status 1: "
        "No module named host — see the message above; 'foxbridge install' rewrites the launcher"
    ]


def test_a_launcher_that_lost_its_execute_bit(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX)
    rig.installer.install(InstallOptions(browsers=["chrome"]))
    rig.layout.launcher.chmod(0o644)
    probe = Probe()
    found = failures(doctor(rig, probe))
    assert f"✗ the launcher {rig.layout.launcher} is not executable" in found[0]
    assert probe.launched == []


def test_a_socket_others_could_open_is_a_failure(make_rig: MakeRig, listening_daemon) -> None:
    rig = make_rig(OS.LINUX)
    rig.installer.install(InstallOptions(browsers=["chrome"]))
    listening_daemon(rig)
    rig.layout.paths.socket_path.chmod(0o666)
    assert any("has mode 666, not 600" in line for line in failures(doctor(rig, Probe())))


def test_windows_registry_checks(make_rig: MakeRig) -> None:
    rig = make_rig(OS.WINDOWS)
    rig.installer.install(InstallOptions(browsers=["edge", "chrome"]))
    rig.registry.delete(rf"Software\Google\Chrome\NativeMessagingHosts\{HOST_NAME}")
    checks = doctor(rig, Probe())
    text = lines(checks)
    assert rf"✓ host manifest HKCU\Software\Microsoft\Edge\NativeMessagingHosts\{HOST_NAME}" in text
    assert rf"✗ HKCU\Software\Google\Chrome\NativeMessagingHosts\{HOST_NAME} is missing" in text
    assert "✓ autostart enabled (windows-run)" in text


def test_sandboxed_browsers_are_warned_about(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX)
    (rig.machine.home / "snap/chromium").mkdir(parents=True)
    checks = doctor(rig, Probe())
    assert "! Chromium is a Snap: cannot use foxbridge — the Snap version" in lines(checks)


def test_an_unregistered_browser_is_pointed_out(make_rig: MakeRig) -> None:
    rig = make_rig(OS.MACOS)
    rig.installer.install(InstallOptions(browsers=["chrome"]))
    (rig.machine.home / "Library/Application Support/Vivaldi").mkdir(parents=True)
    text = lines(doctor(rig, Probe()))
    assert "! Vivaldi is installed but not registered — foxbridge install --browser vivaldi" in text


def test_autostart_turned_off_is_not_a_failure(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX)
    rig.installer.install(InstallOptions(browsers=["chrome"], autostart=False))
    checks = doctor(rig, Probe())
    assert "· autostart is off (chosen at install)" in lines(checks)
    assert not any("autostart" in line for line in failures(checks))
