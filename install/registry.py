"""The Windows registry, reduced to what registering a host needs.

Chromium-family browsers on Windows find a host through the default value of
``HKEY_CURRENT_USER\\<browser key>\\<host name>``; autostart is a named value under the
``Run`` key. ``WindowsRegistry`` does this with ``winreg``; ``MemoryRegistry`` keeps it in
a dictionary so the same installer code runs in tests on any system.
"""

from __future__ import annotations

import contextlib
from typing import Protocol

DEFAULT = ""  # the name of a key's default value


class Registry(Protocol):
    """String values under ``HKEY_CURRENT_USER``; ``name`` ``""`` is the default value."""

    def get(self, key: str, name: str = DEFAULT) -> str | None: ...

    def set(self, key: str, value: str, name: str = DEFAULT) -> None: ...

    def delete(self, key: str, name: str = DEFAULT) -> None:
        """Remove the value; remove the key too when that leaves it empty."""
        ...


class MemoryRegistry:
    def __init__(self) -> None:
        self.keys: dict[str, dict[str, str]] = {}

    def get(self, key: str, name: str = DEFAULT) -> str | None:
        return self.keys.get(key.lower(), {}).get(name.lower())

    def set(self, key: str, value: str, name: str = DEFAULT) -> None:
        self.keys.setdefault(key.lower(), {})[name.lower()] = value

    def delete(self, key: str, name: str = DEFAULT) -> None:
        values = self.keys.get(key.lower())
        if values is None:
            return
        values.pop(name.lower(), None)
        if not values:
            del self.keys[key.lower()]


class WindowsRegistry:  # pragma: no cover - exercised on Windows only
    def __init__(self) -> None:
        import winreg  # type: ignore[import-not-found]

        self._winreg = winreg

    def get(self, key: str, name: str = DEFAULT) -> str | None:
        winreg = self._winreg
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:
                value, kind = winreg.QueryValueEx(handle, name)
        except FileNotFoundError:
            return None
        return value if kind in (winreg.REG_SZ, winreg.REG_EXPAND_SZ) else None

    def set(self, key: str, value: str, name: str = DEFAULT) -> None:
        winreg = self._winreg
        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as handle:
            winreg.SetValueEx(handle, name, 0, winreg.REG_SZ, value)

    def delete(self, key: str, name: str = DEFAULT) -> None:
        winreg = self._winreg
        try:
            with winreg.OpenKey(
                winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE | winreg.KEY_READ
            ) as handle:
                winreg.DeleteValue(handle, name)
                subkeys, values, _ = winreg.QueryInfoKey(handle)
        except FileNotFoundError:
            return
        if subkeys == 0 and values == 0:
            # Someone else's values arrived meanwhile: keep the key.
            with contextlib.suppress(OSError):
                winreg.DeleteKey(winreg.HKEY_CURRENT_USER, key)
