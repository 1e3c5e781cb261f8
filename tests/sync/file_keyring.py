"""A keyring backend in a JSON file, so a CLI subprocess and the test share secrets.

Test-only: selected with ``PYTHON_KEYRING_BACKEND=tests.sync.file_keyring.FileKeyring``
and ``FOXBRIDGE_TEST_KEYRING=<file>``. Real runs use the OS keyring.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring.errors
from keyring.backend import KeyringBackend


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    @property
    def _file(self) -> Path:
        return Path(os.environ["FOXBRIDGE_TEST_KEYRING"])

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self._file.read_text())
        except FileNotFoundError:
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._load()
        entries[f"{service}/{username}"] = password
        self._file.write_text(json.dumps(entries))

    def delete_password(self, service: str, username: str) -> None:
        entries = self._load()
        if entries.pop(f"{service}/{username}", None) is None:
            raise keyring.errors.PasswordDeleteError(username)
        self._file.write_text(json.dumps(entries))
