"""Fixtures shared by the whole suite.

- ``stack``: the local FxA + Sync stack on a real loopback port, in this test's event loop
  (for async tests that use the client libraries directly).
- ``stack_thread``: the same stack in a background thread, for tests that drive
  subprocesses (CLI, daemon, host, Chromium, Firefox) while blocking.
- ``foxbridge_home``: an isolated ``FOXBRIDGE_HOME`` for everything foxbridge writes.
- ``memory_keyring``: an in-memory keyring backend (unit tests); tests marked ``keyring``
  use the real Secret Service instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend


class MemoryKeyring(KeyringBackend):
    # Zero keeps it out of keyring's automatic chain of backends (which gathers every
    # subclass it has seen): it is used only where a test selects it explicitly.
    priority = 0  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def foxbridge_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "foxbridge-home"
    home.mkdir()
    monkeypatch.setenv("FOXBRIDGE_HOME", str(home))
    return home


@pytest.fixture
async def stack(aiohttp_server, tmp_path: Path) -> AsyncIterator[object]:
    from fxstack.app import build_stack

    built = build_stack(storage_db=tmp_path / "storage.sqlite")
    server = await aiohttp_server(built.app)
    built.url = str(server.make_url("")).rstrip("/")
    yield built


@pytest.fixture
def stack_thread(tmp_path: Path) -> Iterator[object]:
    from fxstack.testing import StackThread

    with StackThread(storage_db=tmp_path / "storage.sqlite") as running:
        yield running
