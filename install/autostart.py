"""The files that start the daemon at login: one renderer per mechanism, no I/O.

- Linux with a user systemd: a user unit, restarted if it fails.
- Linux without one (containers, some minimal desktops): an XDG autostart entry.
- macOS: a launchd agent, started at load and kept alive.
- Windows: a command under the ``Run`` key.
"""

from __future__ import annotations

import plistlib
import subprocess
from collections.abc import Mapping
from pathlib import Path

from install.machine import OS, Machine

SYSTEMD_UNIT = "foxbridge.service"
LAUNCHD_LABEL = "org.foxbridge.daemon"
DESKTOP_FILE = "foxbridge.desktop"
WINDOWS_RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
WINDOWS_RUN_VALUE = "foxbridge"
SUMMARY = "foxbridge: Firefox Account bookmarks for Chromium-family browsers"


def daemon_command(python: Path) -> list[str]:
    return [str(python), "-m", "daemon", "daemon"]


def systemd_unit_path(machine: Machine) -> Path:
    return machine.xdg_config_home / "systemd" / "user" / SYSTEMD_UNIT


def desktop_entry_path(machine: Machine) -> Path:
    return machine.xdg_config_home / "autostart" / DESKTOP_FILE


def launchd_plist_path(machine: Machine) -> Path:
    return machine.home / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"


def systemd_unit(python: Path, environment: Mapping[str, str]) -> str:
    lines = [
        "[Unit]",
        f"Description={SUMMARY}",
        "",
        "[Service]",
        "Type=simple",
        "ExecStart=" + " ".join(_systemd_quote(arg) for arg in daemon_command(python)),
    ]
    lines += [f"Environment={_systemd_quote(f'{k}={v}')}" for k, v in environment.items()]
    lines += [
        "Restart=on-failure",
        "RestartSec=5",
        "",
        "[Install]",
        "WantedBy=default.target",
    ]
    return "\n".join(lines) + "\n"


def _systemd_quote(arg: str) -> str:
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"')
    # systemd expands % specifiers and $ variables even inside quotes.
    escaped = escaped.replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"'


def desktop_entry(python: Path, environment: Mapping[str, str]) -> str:
    command = daemon_command(python)
    if environment:
        command = ["env", *(f"{k}={v}" for k, v in environment.items()), *command]
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Name=foxbridge",
        f"Comment={SUMMARY}",
        "Exec=" + " ".join(_desktop_quote(arg) for arg in command),
        "Terminal=false",
        "NoDisplay=true",
        "X-GNOME-Autostart-enabled=true",
    ]
    return "\n".join(lines) + "\n"


def _desktop_quote(arg: str) -> str:
    # The Desktop Entry spec: quote arguments with reserved characters, escaping
    # " ` $ and \ inside the quotes; a literal % is written %%.
    reserved = set(" \t\n\"'\\><~|&;$*?#()`")
    arg = arg.replace("%", "%%")
    if not reserved & set(arg):
        return arg
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    # The key's value is itself unescaped once, so each backslash is doubled again.
    return '"' + escaped.replace("\\", "\\\\") + '"'


def launchd_plist(python: Path, environment: Mapping[str, str], stderr_file: Path) -> str:
    agent: dict[str, object] = {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": daemon_command(python),
        "RunAtLoad": True,
        # Restart after a crash, not after a clean exit: a second daemon exits 0 when
        # one is already running, and must not be restarted in a loop.
        "KeepAlive": {"SuccessfulExit": False},
        "ProcessType": "Background",
        "StandardErrorPath": str(stderr_file),
    }
    if environment:
        agent["EnvironmentVariables"] = dict(environment)
    return plistlib.dumps(agent, sort_keys=True).decode("utf-8")


def windows_run_command(python: Path) -> str:
    # pythonw.exe runs without a console window; it sits beside python.exe in a venv.
    windowless = python.with_name("pythonw.exe")
    return subprocess.list2cmdline(daemon_command(windowless))


def mechanism_for(os: OS, has_user_systemd: bool) -> str:
    """Which autostart mechanism ``os`` gets: systemd, xdg, launchd or windows-run."""
    if os is OS.MACOS:
        return "launchd"
    if os is OS.WINDOWS:
        return "windows-run"
    return "systemd" if has_user_systemd else "xdg"
