"""Another client wrote junk bookmark records: a full sync through the real engine.

Random cleartexts (every shape, colliding ids, cycles) and undecryptable payloads are
put on the local stack next to a good bookmark; a browser profile then syncs. The sync
succeeds or fails with a ``FoxbridgeError`` — never another exception — and when it
succeeds the server's tree is consistent and the good bookmark is still there.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.bookmarks.model import Kind
from daemon.bookmarks.records import normalize_id
from daemon.errors import FoxbridgeError
from daemon.settings import Settings
from tests.bookmarks.sync_support import Account, Device, bm, browser_tree, check_server_consistent
from tests.security.test_server_input import cleartexts

_numbers = itertools.count()
KINDS = {kind.value for kind in Kind}
SYNC_ID = re.compile(r"[\x21-\x2b\x2d-\x7e]{1,64}\Z")  # what a Sync server stores
GOOD = {
    "id": "goodgoodgood",
    "type": "bookmark",
    "parentid": "unfiled",
    "title": "Good",
    "bmkUri": "https://good.example/",
}
JUNK_PAYLOADS = st.sampled_from(
    [
        "not json",
        json.dumps({"ciphertext": "AAAA", "IV": "AAAA", "hmac": "00" * 32}),
        json.dumps({"ciphertext": 5}),
        json.dumps([]),
        "[" * 5000,
    ]
)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(
    st.lists(cleartexts().filter(lambda c: isinstance(c, dict)), max_size=8),
    st.lists(JUNK_PAYLOADS, max_size=2),
)
async def test_junk_records_from_another_client_are_survived(
    stack, http, tmp_path: Path, records, payloads
) -> None:
    number = next(_numbers)
    account = Account(stack, http, email=f"junk{number}@example.com")
    # Records need a string id to be stored at all; the rest is as random as it comes.
    usable = [r for r in records if isinstance(r.get("id"), str) and SYNC_ID.match(r["id"])]
    usable = [r for r in usable if r["id"] != GOOD["id"]]
    await account.put(GOOD, *usable)
    if payloads:
        client = await account.client()
        raw = [{"id": f"rawjunk{n:05d}", "payload": p} for n, p in enumerate(payloads)]
        await client.storage.post_records(
            "bookmarks", raw, if_unmodified_since=None, limits=await client.limits()
        )

    device = Device(f"chrome{number}", tmp_path / f"chrome{number}", Settings())
    try:
        device.write(browser_tree(bar=[bm("Mine", "https://mine.example/")]))
        try:
            await account.sync(device)
        except FoxbridgeError as failure:
            assert failure.message
            return
        live = await account.live()
        # Records of no known type are left alone, as Firefox leaves them, and so are
        # records under a Places root spelling ("menu________"), read as that root; the
        # rest must form a consistent tree.
        check_server_consistent(
            {
                guid: record
                for guid, record in live.items()
                if str(record.get("type")) in KINDS and normalize_id(guid) == guid
            }
        )
        assert GOOD["id"] in live and live[GOOD["id"]]["title"] == "Good"
        assert any(record.get("title") == "Mine" for record in live.values())
    finally:
        device.close()
