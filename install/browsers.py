"""The Chromium-family browsers foxbridge registers with, and where each one looks.

Every such browser reads native-messaging host manifests from a ``NativeMessagingHosts``
folder inside its per-user data folder on Linux and macOS, and from a registry key under
``HKEY_CURRENT_USER`` on Windows. The folders and keys differ per vendor and channel;
some forks also (or only) read Google Chrome's.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from install.machine import OS, Machine

NATIVE_HOSTS_FOLDER = "NativeMessagingHosts"

CHROME_KEY = r"Software\Google\Chrome\NativeMessagingHosts"


@dataclass(frozen=True)
class Browser:
    key: str  # what ``--browser`` takes
    name: str  # what users call it
    scheme: str  # its internal pages: <scheme>://extensions
    linux_dir: str  # its data folder, under $XDG_CONFIG_HOME
    macos_dir: str  # its data folder, under ~/Library/Application Support
    windows_dir: str  # its data folder, under %LOCALAPPDATA% (or %APPDATA% if roaming)
    windows_keys: tuple[str, ...]  # HKCU keys it reads host registrations from
    linux_commands: tuple[str, ...] = ()  # its executables, to find it before its first run
    windows_roaming: bool = False
    reads_chrome_folder: bool = False  # also reads Google Chrome's folder (Linux, macOS)


def _chrome(key: str, name: str, linux: str, macos: str, windows: str, *cmds: str) -> Browser:
    return Browser(key, name, "chrome", linux, macos, windows, (CHROME_KEY,), cmds)


def _edge(key: str, name: str, linux: str, macos: str, windows: str, *cmds: str) -> Browser:
    edge_key = r"Software\Microsoft\Edge\NativeMessagingHosts"
    return Browser(key, name, "edge", linux, macos, windows, (edge_key,), cmds)


def _brave(key: str, name: str, folder: str, *cmds: str) -> Browser:
    # Brave reads its own key and, being Chrome-branded underneath, Chrome's.
    own_key = rf"Software\BraveSoftware\{folder}\NativeMessagingHosts"
    return Browser(
        key,
        name,
        "brave",
        f"BraveSoftware/{folder}",
        f"BraveSoftware/{folder}",
        rf"BraveSoftware\{folder}\User Data",
        (own_key, CHROME_KEY),
        cmds,
    )


BROWSERS: tuple[Browser, ...] = (
    _chrome(
        "chrome",
        "Google Chrome",
        "google-chrome",
        "Google/Chrome",
        r"Google\Chrome\User Data",
        "google-chrome",
        "google-chrome-stable",
    ),
    _chrome(
        "chrome-beta",
        "Google Chrome Beta",
        "google-chrome-beta",
        "Google/Chrome Beta",
        r"Google\Chrome Beta\User Data",
        "google-chrome-beta",
    ),
    _chrome(
        "chrome-dev",
        "Google Chrome Dev",
        "google-chrome-unstable",
        "Google/Chrome Dev",
        r"Google\Chrome Dev\User Data",
        "google-chrome-unstable",
    ),
    _chrome(
        "chrome-canary",
        "Google Chrome Canary",
        "google-chrome-canary",
        "Google/Chrome Canary",
        r"Google\Chrome SxS\User Data",
        "google-chrome-canary",
    ),
    Browser(
        "chromium",
        "Chromium",
        "chrome",
        "chromium",
        "Chromium",
        r"Chromium\User Data",
        (r"Software\Chromium\NativeMessagingHosts",),
        ("chromium", "chromium-browser"),
    ),
    _edge(
        "edge",
        "Microsoft Edge",
        "microsoft-edge",
        "Microsoft Edge",
        r"Microsoft\Edge\User Data",
        "microsoft-edge",
        "microsoft-edge-stable",
    ),
    _edge(
        "edge-beta",
        "Microsoft Edge Beta",
        "microsoft-edge-beta",
        "Microsoft Edge Beta",
        r"Microsoft\Edge Beta\User Data",
        "microsoft-edge-beta",
    ),
    _edge(
        "edge-dev",
        "Microsoft Edge Dev",
        "microsoft-edge-dev",
        "Microsoft Edge Dev",
        r"Microsoft\Edge Dev\User Data",
        "microsoft-edge-dev",
    ),
    _brave("brave", "Brave", "Brave-Browser", "brave-browser", "brave-browser-stable"),
    _brave("brave-beta", "Brave Beta", "Brave-Browser-Beta", "brave-browser-beta"),
    _brave("brave-nightly", "Brave Nightly", "Brave-Browser-Nightly", "brave-browser-nightly"),
    Browser(
        "vivaldi",
        "Vivaldi",
        "vivaldi",
        "vivaldi",
        "Vivaldi",
        r"Vivaldi\User Data",
        (r"Software\Vivaldi\NativeMessagingHosts", CHROME_KEY),
        ("vivaldi", "vivaldi-stable"),
    ),
    Browser(
        "vivaldi-snapshot",
        "Vivaldi Snapshot",
        "vivaldi",
        "vivaldi-snapshot",
        "Vivaldi Snapshot",
        r"Vivaldi Snapshot\User Data",
        (r"Software\Vivaldi\NativeMessagingHosts", CHROME_KEY),
        ("vivaldi-snapshot",),
    ),
    # Opera keeps its own data folder but looks for hosts where Chrome keeps them; we
    # write both, so it works whichever it reads.
    Browser(
        "opera",
        "Opera",
        "opera",
        "opera",
        "com.operasoftware.Opera",
        r"Opera Software\Opera Stable",
        (CHROME_KEY,),
        ("opera",),
        windows_roaming=True,
        reads_chrome_folder=True,
    ),
)

BY_KEY: dict[str, Browser] = {browser.key: browser for browser in BROWSERS}
CHROME = BY_KEY["chrome"]


def data_folder(browser: Browser, machine: Machine) -> Path:
    """The browser's per-user data folder ("user data dir") on ``machine``."""
    if machine.os is OS.LINUX:
        return machine.xdg_config_home.joinpath(*browser.linux_dir.split("/"))
    if machine.os is OS.MACOS:
        return machine.application_support.joinpath(*browser.macos_dir.split("/"))
    base = machine.roaming_appdata if browser.windows_roaming else machine.local_appdata
    return base.joinpath(*browser.windows_dir.split("\\"))


def manifest_folders(browser: Browser, machine: Machine) -> list[Path]:
    """The folders ``browser`` reads host manifests from (Linux and macOS only)."""
    if machine.os is OS.WINDOWS:
        return []
    folders = [data_folder(browser, machine) / NATIVE_HOSTS_FOLDER]
    if browser.reads_chrome_folder:
        folders.append(data_folder(CHROME, machine) / NATIVE_HOSTS_FOLDER)
    return folders


def is_installed(browser: Browser, machine: Machine) -> bool:
    """Whether ``browser`` (outside any sandbox) has been used or installed for this user."""
    if data_folder(browser, machine).is_dir():
        return True
    if machine.os is not OS.LINUX:
        return False
    search_path = machine.env.get("PATH", "")
    for command in browser.linux_commands:
        found = shutil.which(command, path=search_path)
        # /snap/bin/chromium is the Snap, which cannot use our host (see sandboxes).
        if found and not found.startswith("/snap/"):
            return True
    return False
