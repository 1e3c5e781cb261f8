"""Where each browser reads host manifests, per OS, and which browsers count as found."""

from __future__ import annotations

from pathlib import Path

import pytest

from install import browsers
from install.browsers import BY_KEY, data_folder, is_installed, manifest_folders
from install.machine import OS, Machine

HOME = Path("/home/ana")

LINUX_FOLDERS = {
    "chrome": ".config/google-chrome",
    "chrome-beta": ".config/google-chrome-beta",
    "chrome-dev": ".config/google-chrome-unstable",
    "chromium": ".config/chromium",
    "edge": ".config/microsoft-edge",
    "edge-beta": ".config/microsoft-edge-beta",
    "edge-dev": ".config/microsoft-edge-dev",
    "brave": ".config/BraveSoftware/Brave-Browser",
    "vivaldi": ".config/vivaldi",
    "opera": ".config/opera",
}

MACOS_FOLDERS = {
    "chrome": "Google/Chrome",
    "chrome-beta": "Google/Chrome Beta",
    "chrome-dev": "Google/Chrome Dev",
    "chrome-canary": "Google/Chrome Canary",
    "chromium": "Chromium",
    "edge": "Microsoft Edge",
    "edge-beta": "Microsoft Edge Beta",
    "brave": "BraveSoftware/Brave-Browser",
    "vivaldi": "Vivaldi",
    "opera": "com.operasoftware.Opera",
}

WINDOWS_KEYS = {
    "chrome": [r"Software\Google\Chrome\NativeMessagingHosts"],
    "chrome-beta": [r"Software\Google\Chrome\NativeMessagingHosts"],
    "chromium": [r"Software\Chromium\NativeMessagingHosts"],
    "edge": [r"Software\Microsoft\Edge\NativeMessagingHosts"],
    "edge-dev": [r"Software\Microsoft\Edge\NativeMessagingHosts"],
    "brave": [
        r"Software\BraveSoftware\Brave-Browser\NativeMessagingHosts",
        r"Software\Google\Chrome\NativeMessagingHosts",
    ],
    "vivaldi": [
        r"Software\Vivaldi\NativeMessagingHosts",
        r"Software\Google\Chrome\NativeMessagingHosts",
    ],
    "opera": [r"Software\Google\Chrome\NativeMessagingHosts"],
}


@pytest.mark.parametrize(("key", "folder"), LINUX_FOLDERS.items())
def test_linux_manifest_folder(key: str, folder: str) -> None:
    machine = Machine(OS.LINUX, HOME)
    assert manifest_folders(BY_KEY[key], machine)[0] == HOME / folder / "NativeMessagingHosts"


def test_linux_honours_xdg_config_home_but_not_a_relative_one() -> None:
    machine = Machine(OS.LINUX, HOME, {"XDG_CONFIG_HOME": "/cfg"})
    assert data_folder(BY_KEY["chromium"], machine) == Path("/cfg/chromium")
    relative = Machine(OS.LINUX, HOME, {"XDG_CONFIG_HOME": "cfg"})
    assert data_folder(BY_KEY["chromium"], relative) == HOME / ".config/chromium"


@pytest.mark.parametrize(("key", "folder"), MACOS_FOLDERS.items())
def test_macos_manifest_folder(key: str, folder: str) -> None:
    machine = Machine(OS.MACOS, HOME)
    expected = HOME / "Library/Application Support" / folder / "NativeMessagingHosts"
    assert manifest_folders(BY_KEY[key], machine)[0] == expected


@pytest.mark.parametrize("os", [OS.LINUX, OS.MACOS])
def test_opera_also_gets_chromes_folder(os: OS) -> None:
    machine = Machine(os, HOME)
    folders = manifest_folders(BY_KEY["opera"], machine)
    assert folders[1] == manifest_folders(browsers.CHROME, machine)[0]


@pytest.mark.parametrize(("key", "keys"), WINDOWS_KEYS.items())
def test_windows_registry_keys(key: str, keys: list[str]) -> None:
    assert list(BY_KEY[key].windows_keys) == keys
    assert manifest_folders(BY_KEY[key], Machine(OS.WINDOWS, HOME)) == []


def test_windows_data_folders_find_local_and_roaming_browsers() -> None:
    env = {
        "LOCALAPPDATA": r"C:\Users\ana\AppData\Local",
        "APPDATA": r"C:\Users\ana\AppData\Roaming",
    }
    machine = Machine(OS.WINDOWS, HOME, env)
    chrome = data_folder(BY_KEY["chrome"], machine)
    assert chrome.parts[-3:] == ("Google", "Chrome", "User Data")
    assert str(chrome).startswith(env["LOCALAPPDATA"])
    opera = data_folder(BY_KEY["opera"], machine)
    assert str(opera).startswith(env["APPDATA"])
    assert opera.parts[-2:] == ("Opera Software", "Opera Stable")


def test_a_browser_is_found_by_its_data_folder(tmp_path: Path) -> None:
    machine = Machine(OS.LINUX, tmp_path, {"PATH": ""})
    assert not is_installed(BY_KEY["brave"], machine)
    (tmp_path / ".config/BraveSoftware/Brave-Browser").mkdir(parents=True)
    assert is_installed(BY_KEY["brave"], machine)


def test_a_browser_is_found_by_its_command_unless_it_is_the_snap(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    command = bin_dir / "vivaldi"
    command.write_text("#!/bin/sh\n")
    command.chmod(0o755)
    machine = Machine(OS.LINUX, tmp_path, {"PATH": str(bin_dir)})
    assert is_installed(BY_KEY["vivaldi"], machine)
    assert not is_installed(BY_KEY["chromium"], machine)


def test_every_browser_has_a_unique_key_and_its_internal_pages() -> None:
    assert len(BY_KEY) == len(browsers.BROWSERS)
    assert {b.scheme for b in browsers.BROWSERS} == {"chrome", "edge", "brave", "vivaldi", "opera"}
