"""``foxbridge install`` and ``foxbridge uninstall``: registrations, launcher, autostart.

Install writes, for every chosen browser, a host manifest that allows our extension and
points at the launcher; on Windows one manifest and a registry value per browser key.
Everything it creates goes into the install record, and uninstall removes exactly that.
Each file is compared before it is written, so a second install changes nothing.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from host import HOST_NAME
from install import browsers, daemon_process
from install.autostart import mechanism_for
from install.browsers import Browser
from install.commands import Runner
from install.errors import InstallError
from install.files import missing_folders, remove_file, remove_folder_if_empty, write_if_changed
from install.launcher import launcher_script
from install.layout import Layout
from install.machine import OS, Machine
from install.manifest import MANIFEST_FILE, allowed_origins, is_origin, manifest_text
from install.record import InstallRecord
from install.registry import Registry
from install.report import Report
from install.sandboxes import find_sandboxed
from install.startup import Startup, has_user_systemd


@dataclass
class InstallOptions:
    browsers: Sequence[str] = ()  # browser keys; none: every browser found
    user_data_dirs: Sequence[Path] = ()  # custom profile folders
    extra_origins: Sequence[str] = ()
    autostart: bool = True
    program: Sequence[Path] = ()  # what install.sh created: the environment, the link


@dataclass
class Target:
    """One place the browser looks for our registration."""

    label: str
    folder: Path | None = None  # Linux and macOS: the NativeMessagingHosts folder
    registry_key: str | None = None  # Windows: the key holding host registrations


class DaemonControl(Protocol):
    def running(self) -> bool: ...

    def start(self) -> None:
        """Start the daemon in the background and wait until it answers."""
        ...

    def stop(self) -> bool:
        """Stop the daemon if it runs; whether it did."""
        ...


@dataclass
class DaemonProcess:
    """The real daemon, as a detached process of this installation's Python."""

    layout: Layout

    def running(self) -> bool:
        return daemon_process.running_pid(self.layout.paths) is not None

    def start(self) -> None:
        layout = self.layout
        daemon_process.start_detached(layout.python, layout.environment, layout.paths)

    def stop(self) -> bool:
        return daemon_process.stop(self.layout.paths)


@dataclass
class Installer:
    layout: Layout
    runner: Runner
    registry: Registry
    daemon: DaemonControl
    system_root: Path = field(default=Path("/"))

    @property
    def machine(self) -> Machine:
        return self.layout.machine

    # -- install ------------------------------------------------------------------------

    def install(self, options: InstallOptions) -> Report:
        report = Report()
        self._check_origins(options.extra_origins)
        record = InstallRecord.load(self.layout.record_file)
        targets = self.choose_targets(options)
        try:
            self._install(options, targets, record, report)
        finally:
            # Even after a failure half-way: whatever was written must stay on record,
            # so that uninstall can remove it.
            record.save(self.layout.record_file)
        if record.autostart not in ("systemd", "launchd"):  # those started it already
            self._ensure_daemon_running(report)
        for sandboxed in find_sandboxed(self.machine, self.system_root):
            report.note(sandboxed.explain())
        if report.changes == 0:
            report.unchanged("everything was already up to date")
        return report

    def _install(
        self, options: InstallOptions, targets: list[Target], record: InstallRecord, report: Report
    ) -> None:
        for path in options.program:
            if str(path) not in record.program:
                record.program.append(str(path))
        launcher = launcher_script(self.machine.os, self.layout.python, self.layout.environment)
        self._write_file(self.layout.launcher, launcher, 0o755, record, report, "launcher")
        self._write_origins(options.extra_origins, record, report)
        manifest = manifest_text(self.layout.launcher, allowed_origins(options.extra_origins))
        if self.machine.os is OS.WINDOWS:
            self._register_windows(targets, manifest, record, report)
        else:
            self._register_folders(targets, manifest, record, report)

        startup = Startup(self.layout, self.runner, self.registry)
        if options.autostart:
            mechanism = mechanism_for(self.machine.os, has_user_systemd(self.runner))
            if record.autostart not in (None, "off", mechanism):
                startup.disable(record, report)  # e.g. systemd arrived since the last install
            self._hand_over_daemon(startup, mechanism, report)
            startup.enable(mechanism, record, report)
        else:
            if record.autostart not in (None, "off"):
                startup.disable(record, report)
            record.autostart = "off"
            report.unchanged("autostart left off (the browser starts the daemon when needed)")

    def choose_targets(self, options: InstallOptions) -> list[Target]:
        """Where to register: the browsers asked for, or every one found; custom folders."""
        chosen: list[Browser] = []
        for key in options.browsers:
            browser = browsers.BY_KEY.get(key)
            if browser is None:
                known = ", ".join(browsers.BY_KEY)
                raise InstallError(f"Unknown browser {key!r}. Known browsers: {known}.")
            chosen.append(browser)
        if not options.browsers and not options.user_data_dirs:
            chosen = [b for b in browsers.BROWSERS if browsers.is_installed(b, self.machine)]
        targets: list[Target] = []
        if self.machine.os is OS.WINDOWS:
            if options.user_data_dirs:
                raise InstallError(
                    "On Windows, browsers find hosts through the registry only; "
                    "--user-data-dir cannot be used there."
                )
            for browser in chosen:
                targets += [Target(browser.name, registry_key=key) for key in browser.windows_keys]
        else:
            for browser in chosen:
                for folder in browsers.manifest_folders(browser, self.machine):
                    targets.append(Target(browser.name, folder=folder))
            for folder in options.user_data_dirs:
                absolute = folder.expanduser().absolute()
                targets.append(
                    Target(f"profile folder {absolute}", folder=absolute / "NativeMessagingHosts")
                )
        return targets

    def _register_folders(
        self, targets: list[Target], manifest: str, record: InstallRecord, report: Report
    ) -> None:
        paths = {t.folder / MANIFEST_FILE: t.label for t in targets if t.folder is not None}
        # Manifests written by an earlier install stay registered and get the new content.
        for recorded in record.files:
            path = Path(recorded)
            if path.name == MANIFEST_FILE and path.parent.name == "NativeMessagingHosts":
                paths.setdefault(path, "registered earlier")
        if not paths:
            report.note(
                "no Chromium-family browser was found. Start your browser once, or name it: "
                "foxbridge install --browser chrome (see 'foxbridge install --help')"
            )
        for path, label in paths.items():
            self._write_file(path, manifest, 0o644, record, report, f"host manifest for {label}")

    def _register_windows(
        self, targets: list[Target], manifest: str, record: InstallRecord, report: Report
    ) -> None:
        manifest_path = self.layout.windows_manifest
        self._write_file(manifest_path, manifest, 0o644, record, report, "host manifest")
        keys = {t.registry_key: t.label for t in targets if t.registry_key is not None}
        for key, name in record.registry:
            if key.endswith("\\" + HOST_NAME) and name == "":
                keys.setdefault(key.removesuffix("\\" + HOST_NAME), "registered earlier")
        if not keys:
            report.note(
                "no Chromium-family browser was found. Start your browser once, or name it: "
                "foxbridge install --browser chrome"
            )
        for browser_key, label in keys.items():
            key = f"{browser_key}\\{HOST_NAME}"
            record.add_registry(key, "")
            if self.registry.get(key) == str(manifest_path):
                report.unchanged(f"HKCU\\{key} ({label}) already up to date")
            else:
                self.registry.set(key, str(manifest_path))
                report.changed(f"registered HKCU\\{key} ({label})")

    def _write_origins(self, extra: Sequence[str], record: InstallRecord, report: Report) -> None:
        path = self.layout.origins_file
        if extra:
            text = json.dumps({"allowed_origins": list(dict.fromkeys(extra))}, indent=2) + "\n"
            self._write_file(path, text, 0o600, record, report, "extra allowed origins")
        elif str(path) in record.files:
            remove_file(path)
            record.forget_file(path)
            report.changed(f"removed the extra allowed origins {path}")

    def _write_file(
        self, path: Path, text: str, mode: int, record: InstallRecord, report: Report, what: str
    ) -> None:
        record.add_folders(missing_folders(path))
        try:
            written = write_if_changed(path, text, mode=mode)
        except OSError as error:
            raise InstallError(f"Cannot write the {what} {path}: {error.strerror}.") from error
        record.add_file(path)
        if written:
            report.changed(f"wrote the {what}: {path}")
        else:
            report.unchanged(f"{what} already up to date: {path}")

    def _check_origins(self, origins: Sequence[str]) -> None:
        for origin in origins:
            if not is_origin(origin):
                raise InstallError(
                    f"{origin!r} is not an extension origin; it must look like "
                    "chrome-extension://<32 letters a-p>/"
                )

    def _hand_over_daemon(self, startup: Startup, mechanism: str, report: Report) -> None:
        """Stop a daemon started some other way, so the service manager runs its own.

        Otherwise the managed one would find it running, exit, and look stopped.
        """
        if mechanism not in ("systemd", "launchd") or startup.runs_daemon(mechanism):
            return
        if self.daemon.stop():
            report.changed(f"stopped the daemon so that {mechanism} runs it from now on")

    def _ensure_daemon_running(self, report: Report) -> None:
        if self.daemon.running():
            report.unchanged("the daemon is already running")
            return
        self.daemon.start()
        report.changed("started the daemon")

    # -- uninstall ----------------------------------------------------------------------

    def uninstall(self) -> tuple[Report, list[str]]:
        """Undo the install; also what install.sh made, for ``remove_program`` to remove."""
        report = Report()
        record = InstallRecord.load(self.layout.record_file)
        startup = Startup(self.layout, self.runner, self.registry)
        if record.autostart not in (None, "off"):
            startup.disable(record, report)
        if self.daemon.stop():
            report.changed("stopped the daemon")
        for key, name in record.registry:
            self.registry.delete(key, name)
            report.changed(f"removed HKCU\\{key}" + (f"\\{name}" if name else ""))
        kept: list[str] = []
        for recorded in record.files:
            try:
                if remove_file(Path(recorded)):
                    report.changed(f"removed {recorded}")
            except OSError as error:
                kept.append(recorded)
                report.note(f"could not remove {recorded}: {error.strerror}")
        if kept:  # keep the record of what is left, so a second uninstall can finish
            record.files = kept
            record.registry, record.autostart = [], None
            record.save(self.layout.record_file)
            return report, record.program
        remove_file(self.layout.record_file)
        for folder in reversed(record.folders):
            remove_folder_if_empty(Path(folder))
        if report.changes == 0 and not record.program:
            report.unchanged("nothing to remove: foxbridge was not installed")
        return report, record.program

    def remove_program(self, program: Sequence[str]) -> Report:
        """Remove what install.sh made (the environment, the link, the extension copy).

        Last of all, since the command may be running from that environment: nothing
        may be imported from it afterwards.
        """
        report = Report()
        for recorded in program:
            path = Path(recorded)
            try:
                if path.is_symlink() or path.is_file():
                    path.unlink()
                elif path.is_dir():
                    shutil.rmtree(path)
                else:
                    continue
            except OSError as error:
                # Windows keeps the running python.exe locked until it exits.
                report.note(f"could not remove {recorded} ({error.strerror}); delete it by hand")
                continue
            report.changed(f"removed {recorded}")
        return report
