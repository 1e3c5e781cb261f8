"""User settings, kept as JSON beside the account description.

Settings are not secret. Unknown keys in the file are ignored and bad values fall back
to the defaults, so a hand-edited file can never stop the daemon.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any


class MenuPlacement(StrEnum):
    """Where Firefox's Bookmarks Menu appears in a Chromium-family browser."""

    OTHER = "other"  # a "Bookmarks Menu" folder inside Other bookmarks (default)
    TOOLBAR = "toolbar"  # a "Bookmarks Menu" folder on the Bookmarks bar
    HIDDEN = "hidden"  # not shown; kept intact on the server


@dataclass
class Settings:
    sync_interval: int = 60  # seconds between polls for remote changes
    menu_placement: MenuPlacement = MenuPlacement.OTHER
    brake_max_share: float = 0.20  # a sync deleting more than this share of local bookmarks…
    brake_max_count: int = 50  # …or more than this many, stops and asks
    snapshots_keep: int = 20
    paused: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        settings = cls()
        for field in fields(cls):
            if field.name in data:
                value = _same_kind(getattr(settings, field.name), data[field.name])
                if value is not None:
                    setattr(settings, field.name, value)
        settings.sync_interval = max(15, min(settings.sync_interval, 24 * 3600))
        settings.brake_max_share = max(0.0, min(settings.brake_max_share, 1.0))
        settings.brake_max_count = max(0, min(settings.brake_max_count, 10**9))
        settings.snapshots_keep = max(1, min(settings.snapshots_keep, 1000))
        return settings

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["menu_placement"] = str(self.menu_placement)
        return data


def _same_kind(default: Any, value: Any) -> Any:
    """``value`` as the type of ``default``, or None when it is not one (JSON's true is not
    a number, "false" is not a boolean, and Infinity or NaN is no count)."""
    if isinstance(default, bool):
        return value if isinstance(value, bool) else None
    if isinstance(value, bool):
        return None
    if isinstance(default, MenuPlacement):
        try:
            return MenuPlacement(value)
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        if isinstance(default, int):
            return int(value) if value == int(value) else None
        return float(value)
    return None


def load_settings(path: Path) -> Settings:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: nested too deeply
        return Settings()
    return Settings.from_dict(data) if isinstance(data, dict) else Settings()


def save_settings(path: Path, settings: Settings) -> None:
    write_json_atomically(path, settings.to_dict())


def write_json_atomically(path: Path, data: Any) -> None:
    """Write JSON so that a crash leaves either the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(data, file, ensure_ascii=False, indent=1)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
