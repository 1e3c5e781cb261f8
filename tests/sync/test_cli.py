"""``foxbridge collections`` and ``foxbridge bookmarks list`` as real subprocesses."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import keyring
import pytest

from daemon.errors import ExitStatus
from daemon.fxa.account import Account, load_account
from daemon.fxa.login import login_with_password
from daemon.fxa.servers import discover
from daemon.paths import default_paths
from daemon.sync.client import OutgoingRecord, SyncClient
from fxstack.faults import Fault
from tests.keyring.file_backend import SharedFileKeyring

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
BOOKMARK = {
    "type": "bookmark",
    "title": "Mozilla",
    "bmkUri": "https://www.mozilla.org/",
    "parentid": "toolbar",
}


@pytest.fixture
def file_keyring(tmp_path, monkeypatch):
    # Look up the process's own backend before the environment names the test one: the
    # first get_keyring() reads PYTHON_KEYRING_BACKEND, and what it picks sticks.
    previous = keyring.get_keyring()
    monkeypatch.setenv("FOXBRIDGE_TEST_KEYRING_FILE", str(tmp_path / "keyring.json"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.keyring.file_backend.SharedFileKeyring")
    keyring.set_keyring(SharedFileKeyring())
    yield tmp_path / "keyring.json"
    keyring.set_keyring(previous)


def foxbridge(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "daemon", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=False,
    )


async def sign_in_and_upload(url: str, records: list[OutgoingRecord]) -> None:
    paths = default_paths()
    async with aiohttp.ClientSession() as http:
        servers = await discover(http, url)
        account = await login_with_password(
            paths, http, email="cli@example.com", password=PASSWORD, servers=servers
        )
        assert isinstance(account, Account)
        client = await SyncClient.connect(load_account(paths).credentials(http), http=http)
        await client.engine_ids("bookmarks", version=2)
        if records:
            await client.upload("bookmarks", records, if_unmodified_since=None)


@pytest.fixture
def signed_in(stack_thread, foxbridge_home, file_keyring):
    stack_thread.call(_create(stack_thread))
    asyncio.run(
        sign_in_and_upload(
            stack_thread.url,
            [
                OutgoingRecord("bookmark0001", BOOKMARK),
                OutgoingRecord("deleted00001", {"deleted": True}),
            ],
        )
    )
    return stack_thread


async def _create(stack_thread):
    stack_thread.stack.fxa.create_account("cli@example.com", PASSWORD, verification="none")


def test_collections(signed_in):
    result = foxbridge("collections", "--json")
    assert result.returncode == 0, result.stderr
    collections = json.loads(result.stdout)
    assert set(collections) == {"meta", "crypto", "bookmarks"}
    plain = foxbridge("collections")
    assert plain.returncode == 0
    assert "bookmarks" in plain.stdout and "UTC" in plain.stdout


def test_bookmarks_list(signed_in):
    result = foxbridge("bookmarks", "list", "--json")
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    assert [r["id"] for r in listing] == ["bookmark0001", "deleted00001"]
    assert {k: listing[0][k] for k in BOOKMARK} == BOOKMARK
    plain = foxbridge("bookmarks", "list")
    assert "bookmark0001  bookmark  Mozilla  https://www.mozilla.org/" in plain.stdout
    assert "deleted00001  deleted" in plain.stdout


def test_unreadable_record_is_reported_not_fatal(signed_in):
    sync = signed_in.stack.sync
    uid = next(iter(sync.tokens.users.values())).storage_uid
    signed_in.call(_corrupt(sync, uid))
    result = foxbridge("bookmarks", "list", "--json")
    assert result.returncode == 0
    assert [r["id"] for r in json.loads(result.stdout)] == ["deleted00001"]
    assert "skipped record bookmark0001: the record failed its HMAC check" in result.stderr


async def _corrupt(sync, uid):
    sync.corrupt_hmac(uid, "bookmarks", "bookmark0001")


def test_not_signed_in(foxbridge_home, file_keyring):
    for args in (("collections",), ("bookmarks", "list")):
        result = foxbridge(*args)
        assert result.returncode == ExitStatus.NOT_SIGNED_IN
        assert result.stderr.startswith("foxbridge: Not signed in")
        assert "Traceback" not in result.stderr


def test_dropped_connection_is_a_plain_network_error(signed_in):
    signed_in.stack.faults.add(Fault("/token/", drop=True, times=5))
    result = foxbridge("collections")
    assert result.returncode == ExitStatus.NETWORK, result.stderr
    assert "Traceback" not in result.stderr
