"""The Sync layer against the reference client: real Firefox ESR on the stack's storage.

Firefox must sync through our tokenserver and storage, and each side must accept the
other's account set-up (meta/global, crypto/keys) and records without wiping anything.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from daemon.fxa.credentials import StaticCredentials, SyncKey
from daemon.sync.client import OutgoingRecord, SyncClient
from tests.firefox.peer import FIREFOX, FirefoxAccount, FirefoxPeer

pytestmark = pytest.mark.firefox
BOOKMARK_URL = "https://www.mozilla.org/"


@pytest.fixture
def firefox_available() -> None:
    if not Path(FIREFOX).exists() and shutil.which("firefox-esr") is None:
        pytest.skip("Firefox ESR is not installed (tests/run.sh installs it)")


@pytest.fixture
def account(stack_thread):
    return stack_thread.stack.fxa.create_account("peer@example.org", "pass phrase")


def firefox(stack_thread, account, tmp_path: Path) -> FirefoxPeer:
    session = stack_thread.stack.fxa.new_verified_session(account.email)
    peer = FirefoxPeer(tmp_path / "profile", stack_thread.url).start()
    peer.sign_in(FirefoxAccount(account.email, account.uid, session, account.ksync, account.kid))
    return peer


def stored(stack_thread, account, collection: str, bso_id: str) -> Any:
    sync = stack_thread.stack.sync
    return sync.db.get_bso(sync.storage_uid(account.uid), collection, bso_id)


async def as_foxbridge(stack_thread, account, upload: list[OutgoingRecord]) -> dict[str, Any]:
    credentials = StaticCredentials(
        f"{stack_thread.url}/token",
        SyncKey(account.ksync, account.kid),
        stack_thread.stack.fxa.issue_access_token(account.uid),
    )
    async with aiohttp.ClientSession() as http:
        client = await SyncClient.connect(credentials, http=http)
        ids = await client.engine_ids("bookmarks", version=2)
        if upload:
            await client.upload("bookmarks", upload, if_unmodified_since=None)
        download = await client.download("bookmarks")
    return {
        "ids": ids,
        "records": {r.id: r.cleartext for r in download.records},
        "skipped": download.skipped,
    }


def test_we_adopt_and_read_what_firefox_wrote(firefox_available, stack_thread, account, tmp_path):
    peer = firefox(stack_thread, account, tmp_path)
    try:
        guid = peer.insert("toolbar_____", title="Mozilla", url=BOOKMARK_URL)
        peer.sync()
    finally:
        peer.stop()
    meta = stored(stack_thread, account, "meta", "global")
    keys = stored(stack_thread, account, "crypto", "keys")

    seen = asyncio.run(as_foxbridge(stack_thread, account, []))

    firefox_meta = json.loads(meta.payload)
    assert seen["ids"].global_sync_id == firefox_meta["syncID"]
    assert seen["ids"].engine_sync_id == firefox_meta["engines"]["bookmarks"]["syncID"]
    assert stored(stack_thread, account, "meta", "global") == meta  # adopted, not rewritten
    assert stored(stack_thread, account, "crypto", "keys") == keys
    assert seen["skipped"] == []
    bookmark = seen["records"][guid]
    assert (bookmark["type"], bookmark["title"], bookmark["bmkUri"]) == (
        "bookmark",
        "Mozilla",
        BOOKMARK_URL,
    )
    assert bookmark["parentid"] == "toolbar"
    assert guid in seen["records"]["toolbar"]["children"]


def test_firefox_accepts_what_we_set_up(firefox_available, stack_thread, account, tmp_path):
    ours = "foxbridgeBm1"
    records = [
        OutgoingRecord(
            "toolbar",
            {"type": "folder", "parentid": "places", "title": "toolbar", "children": [ours]},
            sortindex=1_000_000,
        ),
        OutgoingRecord(
            ours,
            {
                "type": "bookmark",
                "parentid": "toolbar",
                "parentName": "toolbar",
                "title": "From foxbridge",
                "bmkUri": BOOKMARK_URL,
                "dateAdded": 1_700_000_000_000,
            },
        ),
    ]
    seen = asyncio.run(as_foxbridge(stack_thread, account, records))
    keys = stored(stack_thread, account, "crypto", "keys")

    peer = firefox(stack_thread, account, tmp_path)
    try:
        peer.sync()
        tree = peer.tree()
    finally:
        peer.stop()

    meta = json.loads(stored(stack_thread, account, "meta", "global").payload)
    assert meta["syncID"] == seen["ids"].global_sync_id  # no fresh start
    assert meta["engines"]["bookmarks"]["syncID"] == seen["ids"].engine_sync_id
    assert stored(stack_thread, account, "crypto", "keys") == keys
    toolbar = [(c["guid"], c["title"], c.get("url")) for c in tree["toolbar"]["children"]]
    assert (ours, "From foxbridge", BOOKMARK_URL) in toolbar


def test_firefox_sees_our_device_and_its_commands_reach_us(
    firefox_available, stack_thread, account, tmp_path
):
    from daemon.sync.clients import ThisDevice, sync_this_device

    device = ThisDevice("foxbridgeDev", "Chromium on testhost", os="Linux")

    async def our_device_sync() -> frozenset[str]:
        credentials = StaticCredentials(
            f"{stack_thread.url}/token",
            SyncKey(account.ksync, account.kid),
            stack_thread.stack.fxa.issue_access_token(account.uid),
        )
        async with aiohttp.ClientSession() as http:
            client = await SyncClient.connect(credentials, http=http)
            await client.engine_ids("bookmarks", version=2)
            return (await sync_this_device(client, device)).reset_engines

    assert asyncio.run(our_device_sync()) == frozenset()
    peer = firefox(stack_thread, account, tmp_path)
    try:
        seen = peer.run(
            """
            await Weave.Service.sync({ engines: ["clients"], why: "user" });
            const engine = Weave.Service.clientsEngine;
            const known = engine._store._remoteClients[args[0]];
            await engine.sendCommand("resetEngine", ["bookmarks"], args[0]);
            await Weave.Service.sync({ engines: ["clients"], why: "user" });
            return known ? { name: known.name, type: known.type } : null;
            """,
            device.client_id,
        )
    finally:
        peer.stop()
    assert seen == {"name": "Chromium on testhost", "type": "desktop"}
    assert asyncio.run(our_device_sync()) == frozenset({"bookmarks"})
