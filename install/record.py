"""The install record: what ``foxbridge install`` created, so uninstall removes only that.

Kept as JSON in foxbridge's data folder. Paths only; nothing secret.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from daemon.errors import FoxbridgeError
from install.files import write_if_changed

RECORD_FILE = "install-record.json"


class InstallRecordError(FoxbridgeError):
    pass


@dataclass
class InstallRecord:
    files: list[str] = field(default_factory=list)  # files we wrote
    folders: list[str] = field(default_factory=list)  # folders we created, outermost first
    registry: list[list[str]] = field(default_factory=list)  # [key, value name] pairs
    autostart: str | None = None  # the mechanism set up, "off" when declined
    program: list[str] = field(default_factory=list)  # the environment and link install.sh made

    def add_file(self, path: Path) -> None:
        _add(self.files, str(path))

    def add_folders(self, folders: list[Path]) -> None:
        for folder in folders:
            _add(self.folders, str(folder))

    def add_registry(self, key: str, name: str) -> None:
        if [key, name] not in self.registry:
            self.registry.append([key, name])

    def forget_file(self, path: Path) -> None:
        if str(path) in self.files:
            self.files.remove(str(path))

    @property
    def empty(self) -> bool:
        return not (self.files or self.folders or self.registry or self.autostart or self.program)

    @classmethod
    def load(cls, path: Path) -> InstallRecord:
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as error:
            raise InstallRecordError(
                f"The install record {path} cannot be read ({error}); "
                "remove it and run 'foxbridge install' again."
            ) from error
        if not isinstance(data, dict):
            raise InstallRecordError(f"The install record {path} is not a JSON object.")
        record = cls()
        for name in ("files", "folders", "program"):
            value = data.get(name, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InstallRecordError(f"The install record {path} has a bad {name!r} list.")
            setattr(record, name, list(value))
        registry = data.get("registry", [])
        if not isinstance(registry, list) or not all(
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
            for pair in registry
        ):
            raise InstallRecordError(f"The install record {path} has a bad 'registry' list.")
        record.registry = [list(pair) for pair in registry]
        autostart = data.get("autostart")
        if autostart is not None and not isinstance(autostart, str):
            raise InstallRecordError(f"The install record {path} has a bad 'autostart' entry.")
        record.autostart = autostart
        return record

    def save(self, path: Path) -> None:
        write_if_changed(path, json.dumps(asdict(self), indent=2) + "\n", mode=0o600)


def _add(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)
