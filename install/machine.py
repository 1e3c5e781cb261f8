"""The machine being installed on: which operating system, whose home, which environment.

Everything in ``install`` that depends on the platform takes a ``Machine`` instead of
reading ``sys.platform`` or ``os.environ`` itself, so the layouts of Linux, macOS and
Windows can all be produced (and tested) on any of them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePath, PureWindowsPath


class OS(StrEnum):
    LINUX = "linux"  # and the other Unix desktops that follow the XDG layout
    MACOS = "macos"
    WINDOWS = "windows"


def os_of(platform: str) -> OS:
    """The ``OS`` for a ``sys.platform`` value."""
    if platform == "darwin":
        return OS.MACOS
    if platform in ("win32", "cygwin"):
        return OS.WINDOWS
    return OS.LINUX


@dataclass(frozen=True)
class Machine:
    os: OS
    home: Path
    env: Mapping[str, str] = field(default_factory=dict)
    uid: int = 0  # launchd's user domain is named after it (macOS only)

    @classmethod
    def current(cls) -> Machine:
        return cls(
            os=os_of(sys.platform),
            home=Path.home(),
            env=dict(os.environ),
            uid=os.getuid() if hasattr(os, "getuid") else 0,
        )

    def _absolute_env(self, name: str) -> Path | None:
        value = self.env.get(name, "")
        if not value:
            return None
        path = PureWindowsPath(value) if self.os is OS.WINDOWS else PurePath(value)
        return Path(value) if path.is_absolute() else None

    @property
    def xdg_config_home(self) -> Path:
        """``$XDG_CONFIG_HOME`` or ``~/.config`` (Linux)."""
        return self._absolute_env("XDG_CONFIG_HOME") or self.home / ".config"

    @property
    def application_support(self) -> Path:
        """``~/Library/Application Support`` (macOS)."""
        return self.home / "Library" / "Application Support"

    @property
    def local_appdata(self) -> Path:
        """``%LOCALAPPDATA%`` (Windows)."""
        return self._absolute_env("LOCALAPPDATA") or self.home / "AppData" / "Local"

    @property
    def roaming_appdata(self) -> Path:
        """``%APPDATA%`` (Windows)."""
        return self._absolute_env("APPDATA") or self.home / "AppData" / "Roaming"
