"""Turning the daemon's autostart on and off with the platform's own mechanism.

The files come from ``install.autostart``; this module writes them and asks the service
manager (through a ``Runner``) to take them into account. Every step first checks the
current state, so doing it twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from install import autostart
from install.commands import Runner
from install.errors import InstallError
from install.files import missing_folders, remove_file, write_if_changed
from install.layout import Layout
from install.record import InstallRecord
from install.registry import Registry
from install.report import Report

SYSTEMCTL = ["systemctl", "--user"]


def has_user_systemd(runner: Runner) -> bool:
    """Whether a systemd user manager runs for this user (it does not in most containers)."""
    return runner.run([*SYSTEMCTL, "show-environment"]).ok


@dataclass
class Startup:
    layout: Layout
    runner: Runner
    registry: Registry

    @property
    def _launchd_target(self) -> str:
        return f"gui/{self.layout.machine.uid}"

    # -- turning it on ------------------------------------------------------------------

    def enable(self, mechanism: str, record: InstallRecord, report: Report) -> None:
        """Set up ``mechanism``; the daemon is running afterwards for systemd and launchd."""
        enablers = {
            "systemd": self._enable_systemd,
            "xdg": self._enable_xdg,
            "launchd": self._enable_launchd,
            "windows-run": self._enable_windows_run,
        }
        record.autostart = mechanism  # first: a failure half-way leaves something to undo
        enablers[mechanism](record, report)

    def _write(self, path: Path, text: str, record: InstallRecord) -> bool:
        record.add_folders(missing_folders(path))
        written = write_if_changed(path, text)
        record.add_file(path)
        return written

    def _enable_systemd(self, record: InstallRecord, report: Report) -> None:
        layout = self.layout
        path = autostart.systemd_unit_path(layout.machine)
        text = autostart.systemd_unit(layout.python, layout.environment)
        if self._write(path, text, record):
            report.changed(f"wrote the systemd user unit {path}")
            self._systemctl("daemon-reload")
        else:
            report.unchanged(f"systemd user unit {path} already up to date")
        enabled = self.runner.run([*SYSTEMCTL, "is-enabled", autostart.SYSTEMD_UNIT]).ok
        active = self.runner.run([*SYSTEMCTL, "is-active", autostart.SYSTEMD_UNIT]).ok
        if enabled and active:
            report.unchanged(f"{autostart.SYSTEMD_UNIT} already enabled and running")
            return
        self._systemctl("enable", "--now", autostart.SYSTEMD_UNIT)
        report.changed(f"enabled and started {autostart.SYSTEMD_UNIT}")

    def _enable_xdg(self, record: InstallRecord, report: Report) -> None:
        layout = self.layout
        path = autostart.desktop_entry_path(layout.machine)
        text = autostart.desktop_entry(layout.python, layout.environment)
        report.note(
            "no systemd user manager runs here, so the daemon starts with your desktop "
            "session (XDG autostart) instead"
        )
        if self._write(path, text, record):
            report.changed(f"wrote the autostart entry {path}")
        else:
            report.unchanged(f"autostart entry {path} already up to date")

    def _enable_launchd(self, record: InstallRecord, report: Report) -> None:
        layout = self.layout
        path = autostart.launchd_plist_path(layout.machine)
        # Its own file for what the daemon prints before logging starts: the rotating log
        # must have a single writer.
        stderr_file = layout.paths.log_dir / "daemon-stderr.log"
        text = autostart.launchd_plist(layout.python, layout.environment, stderr_file)
        service = f"{self._launchd_target}/{autostart.LAUNCHD_LABEL}"
        if self._write(path, text, record):
            self.runner.run(["launchctl", "bootout", service])  # an older version, if loaded
            report.changed(f"wrote the launchd agent {path}")
        elif self.runner.run(["launchctl", "print", service]).ok:
            report.unchanged(f"launchd agent {path} already up to date and loaded")
            return
        outcome = self.runner.run(["launchctl", "bootstrap", self._launchd_target, str(path)])
        if not outcome.ok:
            raise _command_failed("launchctl bootstrap", outcome.output)
        report.changed(f"loaded the launchd agent {autostart.LAUNCHD_LABEL}")

    def _enable_windows_run(self, record: InstallRecord, report: Report) -> None:
        command = autostart.windows_run_command(self.layout.python)
        key, name = autostart.WINDOWS_RUN_KEY, autostart.WINDOWS_RUN_VALUE
        record.add_registry(key, name)
        if self.registry.get(key, name) == command:
            report.unchanged(f"logon entry HKCU\\{key}\\{name} already up to date")
            return
        self.registry.set(key, command, name)
        report.changed(f"set the logon entry HKCU\\{key}\\{name}")

    # -- turning it off -----------------------------------------------------------------

    def disable(self, record: InstallRecord, report: Report) -> None:
        """Undo whatever mechanism ``record`` says was set up."""
        mechanism = record.autostart
        machine = self.layout.machine
        if mechanism == "systemd":
            self.runner.run([*SYSTEMCTL, "disable", "--now", autostart.SYSTEMD_UNIT])
            path = autostart.systemd_unit_path(machine)
            if remove_file(path):
                self._systemctl("daemon-reload")
            record.forget_file(path)
            report.changed(f"disabled and removed {autostart.SYSTEMD_UNIT}")
        elif mechanism == "launchd":
            target = f"{self._launchd_target}/{autostart.LAUNCHD_LABEL}"
            self.runner.run(["launchctl", "bootout", target])
            path = autostart.launchd_plist_path(machine)
            remove_file(path)
            record.forget_file(path)
            report.changed(f"unloaded and removed the launchd agent {autostart.LAUNCHD_LABEL}")
        elif mechanism == "xdg":
            path = autostart.desktop_entry_path(machine)
            remove_file(path)
            record.forget_file(path)
            report.changed(f"removed the autostart entry {path}")
        elif mechanism == "windows-run":
            key, name = autostart.WINDOWS_RUN_KEY, autostart.WINDOWS_RUN_VALUE
            self.registry.delete(key, name)
            if [key, name] in record.registry:
                record.registry.remove([key, name])
            report.changed(f"removed the logon entry HKCU\\{key}\\{name}")
        record.autostart = None

    # -- checking -----------------------------------------------------------------------

    def runs_daemon(self, mechanism: str) -> bool:
        """Whether the service manager behind ``mechanism`` is running the daemon now."""
        if mechanism == "systemd":
            return self.runner.run([*SYSTEMCTL, "is-active", autostart.SYSTEMD_UNIT]).ok
        if mechanism == "launchd":
            service = f"{self._launchd_target}/{autostart.LAUNCHD_LABEL}"
            return self.runner.run(["launchctl", "print", service]).ok
        return False

    def problem(self, mechanism: str) -> str | None:
        """Why the autostart set up with ``mechanism`` would not start the daemon, if so."""
        machine = self.layout.machine
        if mechanism == "systemd":
            if not autostart.systemd_unit_path(machine).is_file():
                return f"the unit {autostart.systemd_unit_path(machine)} is missing"
            if not self.runner.run([*SYSTEMCTL, "is-enabled", autostart.SYSTEMD_UNIT]).ok:
                return f"{autostart.SYSTEMD_UNIT} is not enabled"
            return None
        if mechanism == "launchd":
            if not autostart.launchd_plist_path(machine).is_file():
                return f"the agent {autostart.launchd_plist_path(machine)} is missing"
            service = f"{self._launchd_target}/{autostart.LAUNCHD_LABEL}"
            if not self.runner.run(["launchctl", "print", service]).ok:
                return f"the agent {autostart.LAUNCHD_LABEL} is not loaded"
            return None
        if mechanism == "xdg":
            path = autostart.desktop_entry_path(machine)
            return None if path.is_file() else f"the autostart entry {path} is missing"
        if mechanism == "windows-run":
            key, name = autostart.WINDOWS_RUN_KEY, autostart.WINDOWS_RUN_VALUE
            return None if self.registry.get(key, name) else f"HKCU\\{key}\\{name} is missing"
        return f"unknown autostart mechanism {mechanism!r}"

    def _systemctl(self, *args: str) -> None:
        outcome = self.runner.run([*SYSTEMCTL, *args])
        if not outcome.ok:
            raise _command_failed(f"systemctl --user {' '.join(args)}", outcome.output)


def _command_failed(what: str, output: str) -> InstallError:
    detail = output.splitlines()[-1] if output else "no output"
    return InstallError(f"'{what}' failed: {detail}")
