"""A keyring backend for tests that drive foxbridge in subprocesses without a Secret Service.

Entries live in the JSON file named by ``FOXBRIDGE_TEST_KEYRING_FILE`` — a test's own
temporary file, outside ``FOXBRIDGE_HOME`` — so that separate processes share them.
Select it with ``PYTHON_KEYRING_BACKEND=tests.keyring.file_backend.SharedFileKeyring``.
Never for real secrets: it exists so tests can also read back what was stored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring.errors
from keyring.backend import KeyringBackend


class SharedFileKeyring(KeyringBackend):
    # Zero keeps it out of keyring's automatic chain of backends (which gathers every
    # subclass it has seen): it is used only where a test selects it explicitly.
    priority = 0  # type: ignore[assignment]

    @property
    def _file(self) -> Path:
        return Path(os.environ["FOXBRIDGE_TEST_KEYRING_FILE"])

    def _read(self) -> dict[str, str]:
        try:
            return json.loads(self._file.read_text())
        except FileNotFoundError:
            return {}

    def _write(self, entries: dict[str, str]) -> None:
        self._file.write_text(json.dumps(entries))

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._read()
        entries[f"{service}/{username}"] = password
        self._write(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = self._read()
        if entries.pop(f"{service}/{username}", None) is None:
            raise keyring.errors.PasswordDeleteError(username)
        self._write(entries)
