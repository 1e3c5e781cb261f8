"""Install and uninstall on each OS layout, in a temporary HOME, with faked service managers."""

from __future__ import annotations

import json
import plistlib
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from host import EXTENSION_ORIGIN, HOST_NAME
from install.commands import Outcome
from install.errors import InstallError
from install.installer import InstallOptions
from install.machine import OS
from tests.install.conftest import Rig, tree

OTHER_ORIGIN = "chrome-extension://abcdefghijklmnopabcdefghijklmnop/"
CHROME_KEY = r"Software\Google\Chrome\NativeMessagingHosts"

MakeRig = Callable[..., Rig]


def read_manifest(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def snapshot(rig: Rig) -> dict[str, dict[str, bytes | None]]:
    roots = {"home": rig.machine.home, "state": rig.layout.paths.config_dir.parent}
    return {name: tree(root) for name, root in roots.items() if root.exists()}


# -- Linux -------------------------------------------------------------------------------


def test_linux_registers_every_browser_found_and_nothing_else(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX)
    home = rig.machine.home
    (home / ".config/google-chrome").mkdir(parents=True)
    (home / ".config/BraveSoftware/Brave-Browser").mkdir(parents=True)

    rig.installer.install(InstallOptions())

    for folder in (".config/google-chrome", ".config/BraveSoftware/Brave-Browser"):
        manifest = read_manifest(home / folder / "NativeMessagingHosts" / f"{HOST_NAME}.json")
        assert manifest == {
            "name": HOST_NAME,
            "description": manifest["description"],
            "path": str(rig.layout.launcher),
            "type": "stdio",
            "allowed_origins": [EXTENSION_ORIGIN],
        }
    assert not (home / ".config/chromium").exists()
    assert not (home / ".config/microsoft-edge").exists()


def test_linux_launcher_runs_the_host_with_the_environments_python(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX)
    rig.installer.install(InstallOptions(browsers=["chromium"]))
    launcher = rig.layout.launcher
    text = launcher.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert text.rstrip().endswith(f'exec {rig.layout.python} -m host "$@"')
    assert stat.S_IMODE(launcher.stat().st_mode) == 0o755


def test_launcher_pins_foxbridge_home_when_installed_with_one(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX)
    layout = rig.layout
    pinned = type(layout)(layout.machine, layout.paths, layout.python, {"FOXBRIDGE_HOME": "/x y"})
    rig.installer.layout = pinned
    rig.installer.install(InstallOptions(browsers=["chromium"]))
    assert "FOXBRIDGE_HOME='/x y'; export FOXBRIDGE_HOME\n" in layout.launcher.read_text()
    unit = (rig.machine.home / ".config/systemd/user/foxbridge.service").read_text()
    assert 'Environment="FOXBRIDGE_HOME=/x y"' in unit


def test_linux_systemd_unit_enabled_and_started(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX)
    rig.installer.install(InstallOptions(browsers=["chrome"]))
    unit = (rig.machine.home / ".config/systemd/user/foxbridge.service").read_text()
    assert f'ExecStart="{rig.layout.python}" "-m" "daemon" "daemon"' in unit
    assert "Restart=on-failure" in unit
    assert "WantedBy=default.target" in unit
    assert "systemctl --user enable --now foxbridge.service" in rig.runner.verbs()
    assert rig.daemon.starts == 0  # systemd started it


def test_a_daemon_started_by_hand_is_handed_over_to_systemd(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX)
    rig.daemon.is_running = True  # started by the browser's host before the install
    report = rig.installer.install(InstallOptions(browsers=["chrome"]))
    assert rig.daemon.stops == 1
    assert "stopped the daemon so that systemd runs it from now on" in report.text()
    assert "systemctl --user enable --now foxbridge.service" in rig.runner.verbs()

    again = rig.installer.install(InstallOptions(browsers=["chrome"]))
    assert again.changes == 0
    assert rig.daemon.stops == 1


def test_linux_without_user_systemd_uses_xdg_autostart_and_starts_now(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX, user_systemd=False)
    report = rig.installer.install(InstallOptions(browsers=["chrome"]))
    entry = (rig.machine.home / ".config/autostart/foxbridge.desktop").read_text()
    assert "[Desktop Entry]" in entry
    assert f"Exec={rig.layout.python} -m daemon daemon\n" in entry
    assert not (rig.machine.home / ".config/systemd").exists()
    assert rig.daemon.starts == 1
    assert "no systemd user manager" in report.text()


def test_user_data_dir_registers_only_that_profile_folder(make_rig: MakeRig, tmp_path) -> None:
    rig = make_rig(OS.LINUX)
    (rig.machine.home / ".config/google-chrome").mkdir(parents=True)
    profile = tmp_path / "profile"
    rig.installer.install(InstallOptions(user_data_dirs=[profile], autostart=False))
    assert (profile / "NativeMessagingHosts" / f"{HOST_NAME}.json").is_file()
    assert not (rig.machine.home / ".config/google-chrome/NativeMessagingHosts").exists()


def test_extra_origins_reach_the_manifest_and_the_hosts_file(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX)
    options = InstallOptions(browsers=["chromium"], extra_origins=[OTHER_ORIGIN, OTHER_ORIGIN])
    rig.installer.install(options)
    manifest = read_manifest(
        rig.machine.home / ".config/chromium/NativeMessagingHosts" / f"{HOST_NAME}.json"
    )
    assert manifest["allowed_origins"] == [EXTENSION_ORIGIN, OTHER_ORIGIN]
    origins = json.loads(rig.layout.origins_file.read_text())
    assert origins == {"allowed_origins": [OTHER_ORIGIN]}
    assert stat.S_IMODE(rig.layout.origins_file.stat().st_mode) == 0o600

    rig.installer.install(InstallOptions(browsers=["chromium"]))
    assert not rig.layout.origins_file.exists()


@pytest.mark.parametrize(
    "origin", ["chrome-extension://short/", "https://example.com/", EXTENSION_ORIGIN[:-1]]
)
def test_a_bad_extra_origin_is_refused_before_anything_is_written(
    make_rig: MakeRig, origin: str
) -> None:
    rig = make_rig(OS.LINUX)
    with pytest.raises(InstallError, match="not an extension origin"):
        rig.installer.install(InstallOptions(browsers=["chromium"], extra_origins=[origin]))
    assert not rig.layout.launcher.exists()


def test_an_unknown_browser_is_refused_with_the_known_names(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX)
    with pytest.raises(InstallError, match="Known browsers: chrome, "):
        rig.installer.install(InstallOptions(browsers=["netscape"]))


def test_no_browser_found_says_what_to_do(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX, env={"PATH": ""})
    report = rig.installer.install(InstallOptions())
    assert "no Chromium-family browser was found" in report.text()
    assert "--browser chrome" in report.text()


# -- macOS -------------------------------------------------------------------------------


def test_macos_manifests_and_launchd_agent(make_rig: MakeRig) -> None:
    rig = make_rig(OS.MACOS)
    support = rig.machine.home / "Library/Application Support"
    (support / "Microsoft Edge").mkdir(parents=True)
    (support / "com.operasoftware.Opera").mkdir(parents=True)

    rig.installer.install(InstallOptions())

    for folder in ("Microsoft Edge", "com.operasoftware.Opera", "Google/Chrome"):
        manifest = read_manifest(support / folder / "NativeMessagingHosts" / f"{HOST_NAME}.json")
        assert manifest["path"] == str(rig.layout.launcher)
    plist_path = rig.machine.home / "Library/LaunchAgents/org.foxbridge.daemon.plist"
    agent = plistlib.loads(plist_path.read_bytes())
    assert agent["Label"] == "org.foxbridge.daemon"
    assert agent["ProgramArguments"] == [str(rig.layout.python), "-m", "daemon", "daemon"]
    assert agent["RunAtLoad"] is True
    assert agent["KeepAlive"] == {"SuccessfulExit": False}
    assert f"launchctl bootstrap gui/501 {plist_path}" in rig.runner.verbs()
    assert rig.daemon.starts == 0  # launchd started it


# -- Windows -----------------------------------------------------------------------------


def test_windows_registry_values_point_at_one_manifest(make_rig: MakeRig) -> None:
    rig = make_rig(OS.WINDOWS, env={})
    local = rig.machine.home / "AppData/Local"
    (local / "Microsoft/Edge/User Data").mkdir(parents=True)
    (local / "BraveSoftware/Brave-Browser/User Data").mkdir(parents=True)

    rig.installer.install(InstallOptions())

    manifest_path = rig.layout.windows_manifest
    assert read_manifest(manifest_path)["path"] == str(rig.layout.launcher)
    assert rig.layout.launcher.name == "foxbridge-host.cmd"
    launcher = rig.layout.launcher.read_text()
    assert f'"{rig.layout.python}" -m host %*' in launcher
    expected_keys = {
        r"Software\Microsoft\Edge\NativeMessagingHosts",
        r"Software\BraveSoftware\Brave-Browser\NativeMessagingHosts",
        CHROME_KEY,
    }
    for key in expected_keys:
        assert rig.registry.get(f"{key}\\{HOST_NAME}") == str(manifest_path)
    host_keys = {k for k in rig.registry.keys if k.endswith(HOST_NAME)}
    assert host_keys == {f"{k}\\{HOST_NAME}".lower() for k in expected_keys}
    run = rig.registry.get(r"Software\Microsoft\Windows\CurrentVersion\Run", "foxbridge")
    assert run == f"{rig.layout.python.with_name('pythonw.exe')} -m daemon daemon"
    assert rig.daemon.starts == 1


def test_windows_refuses_a_user_data_dir(make_rig: MakeRig, tmp_path: Path) -> None:
    rig = make_rig(OS.WINDOWS)
    with pytest.raises(InstallError, match="registry"):
        rig.installer.install(InstallOptions(user_data_dirs=[tmp_path]))


# -- every OS: idempotence and a clean uninstall -------------------------------------------


def _prepare(rig: Rig) -> InstallOptions:
    home = rig.machine.home
    folder = {
        OS.LINUX: ".config/chromium",
        OS.MACOS: "Library/Application Support/Chromium",
        OS.WINDOWS: "AppData/Local/Chromium/User Data",
    }[rig.machine.os]
    (home / folder).mkdir(parents=True)
    return InstallOptions(extra_origins=[OTHER_ORIGIN], program=[])


@pytest.mark.parametrize("os", list(OS))
@pytest.mark.parametrize("user_systemd", [True, False])
def test_a_second_install_changes_nothing(make_rig: MakeRig, os: OS, user_systemd: bool) -> None:
    rig = make_rig(os, user_systemd=user_systemd)
    options = _prepare(rig)
    first = rig.installer.install(options)
    assert first.changes > 0
    before = snapshot(rig)
    registry_before = {k: dict(v) for k, v in rig.registry.keys.items()}
    calls_before = len(rig.runner.verbs())

    second = rig.installer.install(options)

    assert second.changes == 0, second.text()
    assert "everything was already up to date" in second.text()
    assert snapshot(rig) == before
    assert rig.registry.keys == registry_before
    assert len(rig.runner.verbs()) == calls_before


@pytest.mark.parametrize("os", list(OS))
@pytest.mark.parametrize("user_systemd", [True, False])
def test_uninstall_leaves_nothing_behind(make_rig: MakeRig, os: OS, user_systemd: bool) -> None:
    rig = make_rig(os, user_systemd=user_systemd)
    options = _prepare(rig)
    unrelated = rig.machine.home / "unrelated.txt"
    unrelated.write_text("mine")
    before = snapshot(rig)

    rig.installer.install(options)
    rig.installer.install(options)
    assert snapshot(rig) != before
    rig.installer.uninstall()

    assert snapshot(rig) == before
    assert rig.registry.keys == {}
    assert not rig.daemon.is_running
    assert not rig.runner.enabled
    assert not rig.runner.loaded


def test_uninstall_keeps_other_files_in_shared_folders(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX)
    hosts = rig.machine.home / ".config/google-chrome/NativeMessagingHosts"
    hosts.mkdir(parents=True)
    (hosts / "com.other.host.json").write_text("{}")
    rig.installer.install(InstallOptions(browsers=["chrome"]))
    rig.installer.uninstall()
    assert sorted(p.name for p in hosts.iterdir()) == ["com.other.host.json"]


def test_uninstall_removes_the_program_install_sh_made(make_rig: MakeRig, tmp_path: Path) -> None:
    rig = make_rig(OS.LINUX)
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    link = tmp_path / "bin" / "foxbridge"
    link.parent.mkdir()
    link.symlink_to(venv / "bin" / "foxbridge")
    rig.installer.install(InstallOptions(browsers=["chrome"], program=[venv, link]))
    _, program = rig.installer.uninstall()
    assert program == [str(venv), str(link)]
    assert venv.exists()
    rig.installer.remove_program(program)
    assert not venv.exists()
    assert not link.is_symlink()


def test_uninstall_when_nothing_is_installed(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX)
    report, program = rig.installer.uninstall()
    assert "nothing to remove" in report.text()
    assert program == []


def test_no_autostart_turns_an_earlier_one_off(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX)
    rig.installer.install(InstallOptions(browsers=["chrome"]))
    unit = rig.machine.home / ".config/systemd/user/foxbridge.service"
    assert unit.exists()
    rig.installer.install(InstallOptions(browsers=["chrome"], autostart=False))
    assert not unit.exists()
    assert "systemctl --user disable --now foxbridge.service" in rig.runner.verbs()
    assert rig.daemon.is_running  # started now all the same


def test_a_later_install_keeps_earlier_registrations_up_to_date(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX)
    rig.installer.install(InstallOptions(browsers=["vivaldi"]))
    rig.installer.install(InstallOptions(browsers=["edge"], extra_origins=[OTHER_ORIGIN]))
    vivaldi = rig.machine.home / ".config/vivaldi/NativeMessagingHosts" / f"{HOST_NAME}.json"
    assert read_manifest(vivaldi)["allowed_origins"] == [EXTENSION_ORIGIN, OTHER_ORIGIN]


# -- sandboxed browsers ------------------------------------------------------------------


def test_snap_and_flatpak_browsers_are_explained(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX)
    (rig.system_root / "snap/bin").mkdir(parents=True)
    (rig.system_root / "snap/bin/chromium").write_text("")
    (rig.machine.home / ".var/app/com.brave.Browser").mkdir(parents=True)
    (rig.machine.home / ".var/app/org.mozilla.firefox").mkdir(parents=True)

    report = rig.installer.install(InstallOptions(browsers=["chrome"])).text()

    assert "! Chromium (Snap, found at" in report
    assert "! Brave (Flatpak, found at" in report
    assert "vendor's own package" in report
    assert "firefox" not in report.lower().replace("firefox account", "")


def test_a_file_that_cannot_be_removed_is_reported_and_kept_on_record(
    make_rig: MakeRig, tmp_path: Path
) -> None:
    rig = make_rig(OS.LINUX)
    profile = tmp_path / "profile"
    rig.installer.install(InstallOptions(user_data_dirs=[profile]))
    manifest = profile / "NativeMessagingHosts" / f"{HOST_NAME}.json"
    manifest.unlink()
    manifest.mkdir()  # something unlink() cannot remove, even for root
    report, _ = rig.installer.uninstall()
    assert f"! could not remove {manifest}" in report.text()
    assert rig.layout.record_file.exists()

    manifest.rmdir()
    manifest.write_text("{}")
    report, _ = rig.installer.uninstall()
    assert f"✓ removed {manifest}" in report.text()
    assert not profile.exists()
    assert not rig.layout.record_file.exists()


def test_a_failed_install_keeps_what_it_wrote_on_record(make_rig: MakeRig) -> None:
    rig = make_rig(OS.MACOS)

    failed = Outcome(5, "Bootstrap failed: 5: Input/output error")
    rig.runner.failures["launchctl bootstrap"] = failed
    with pytest.raises(InstallError, match="'launchctl bootstrap' failed: Bootstrap failed"):
        rig.installer.install(InstallOptions(browsers=["chrome"]))
    plist = rig.machine.home / "Library/LaunchAgents/org.foxbridge.daemon.plist"
    assert plist.exists()

    rig.installer.uninstall()
    assert not plist.exists()
    assert not rig.layout.launcher.exists()


def test_a_new_autostart_mechanism_replaces_the_old_one(make_rig: MakeRig) -> None:
    rig = make_rig(OS.LINUX, user_systemd=False)
    rig.installer.install(InstallOptions(browsers=["chrome"]))
    entry = rig.machine.home / ".config/autostart/foxbridge.desktop"
    assert entry.exists()
    rig.runner.user_systemd = True  # the user moved to a desktop with a systemd user manager
    rig.installer.install(InstallOptions(browsers=["chrome"]))
    assert not entry.exists()
    assert (rig.machine.home / ".config/systemd/user/foxbridge.service").exists()
    rig.installer.uninstall()
    assert not (rig.machine.home / ".config").exists()
