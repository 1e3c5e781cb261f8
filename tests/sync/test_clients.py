"""This device's clients record, and commands other devices send it."""

from __future__ import annotations

import time

import pytest

from daemon.sync.clients import CLIENT_TTL, ThisDevice, new_client_id, sync_this_device
from daemon.sync.crypto import decrypt_payload, encrypt_payload

DEVICE = ThisDevice(
    client_id="foxbridge001", name="Chromium on testhost", fxa_device_id="f" * 32, os="Linux"
)


async def stored_record(client, stack, account) -> dict:
    keys = await client.collection_keys()
    uid = stack.sync.storage_uid(account.uid)
    bso = stack.sync.db.get_bso(uid, "clients", DEVICE.client_id)
    return decrypt_payload(bso.payload, keys.for_collection("clients"))


async def test_first_sync_writes_the_record(client, stack, account):
    before = time.time()
    outcome = await sync_this_device(client, DEVICE)
    assert outcome.uploaded and outcome.reset_engines == frozenset()
    record = await stored_record(client, stack, account)
    assert record["id"] == "foxbridge001"
    assert record["name"] == "Chromium on testhost"
    assert record["type"] == "desktop"
    assert record["fxaDeviceId"] == "f" * 32
    assert record["protocols"] == ["1.5"]
    assert record["os"] == "Linux" and record["application"] == "foxbridge"
    assert record["commands"] == []
    uid = stack.sync.storage_uid(account.uid)
    row = stack.sync.db._db.execute(
        "SELECT expiry FROM bsos WHERE user = ? AND id = ?", (uid, DEVICE.client_id)
    ).fetchone()
    assert row[0] / 100 == pytest.approx(before + CLIENT_TTL, abs=60)


async def test_record_is_refreshed_weekly_not_every_sync(client, stack):
    first = await sync_this_device(client, DEVICE)
    puts = stack.sync.request_count(method="PUT", contains="/clients/")
    again = await sync_this_device(client, DEVICE, last_upload=first.uploaded_at)
    assert not again.uploaded
    assert stack.sync.request_count(method="PUT", contains="/clients/") == puts
    week_later = first.uploaded_at + 7 * 24 * 3600
    refreshed = await sync_this_device(
        client, DEVICE, last_upload=first.uploaded_at, now=week_later
    )
    assert refreshed.uploaded and refreshed.uploaded_at == week_later


async def test_a_renamed_device_is_rewritten(client):
    first = await sync_this_device(client, DEVICE)
    renamed = ThisDevice(DEVICE.client_id, "Brave on testhost", DEVICE.fxa_device_id, "Linux")
    outcome = await sync_this_device(client, renamed, last_upload=first.uploaded_at)
    assert outcome.uploaded


@pytest.mark.parametrize(
    ("commands", "resets"),
    [
        ([{"command": "resetEngine", "args": ["bookmarks"]}], {"bookmarks"}),
        ([{"command": "wipeEngine", "args": ["bookmarks"]}], {"bookmarks"}),
        ([{"command": "resetEngine", "args": ["history"]}], set()),
        ([{"command": "resetAll", "args": []}], {"bookmarks"}),
        ([{"command": "displayURI", "args": ["https://example.com/", "x", "t"]}], set()),
        (["garbage", {"no": "command"}], set()),
    ],
)
async def test_commands_are_read_and_cleared(client, stack, account, commands, resets):
    first = await sync_this_device(client, DEVICE)
    record = await stored_record(client, stack, account)
    record["commands"] = commands
    keys = await client.collection_keys()
    payload = encrypt_payload(record, keys.for_collection("clients"))
    uid = stack.sync.storage_uid(account.uid)
    stack.sync.write_records(uid, "clients", [{"id": DEVICE.client_id, "payload": payload}])
    outcome = await sync_this_device(client, DEVICE, last_upload=first.uploaded_at)
    assert outcome.reset_engines == frozenset(resets)
    assert outcome.uploaded
    assert (await stored_record(client, stack, account))["commands"] == []


async def test_a_command_appended_while_we_write_is_not_lost(client, stack, account):
    first = await sync_this_device(client, DEVICE)
    record = await stored_record(client, stack, account)
    record["commands"] = [{"command": "resetEngine", "args": ["bookmarks"]}]
    keys = await client.collection_keys()
    payload = encrypt_payload(record, keys.for_collection("clients"))
    uid = stack.sync.storage_uid(account.uid)

    async def other_device_sends_command() -> None:
        stack.sync.write_records(uid, "clients", [{"id": DEVICE.client_id, "payload": payload}])

    stack.sync.before_next(other_device_sends_command, method="PUT", path_contains="/clients/")
    renamed = ThisDevice(DEVICE.client_id, "renamed", DEVICE.fxa_device_id, "Linux")
    outcome = await sync_this_device(client, renamed, last_upload=first.uploaded_at)
    assert outcome.reset_engines == {"bookmarks"}
    assert (await stored_record(client, stack, account))["commands"] == []


def test_client_ids_look_like_firefox_ones():
    ids = {new_client_id() for _ in range(50)}
    assert len(ids) == 50 and all(len(i) == 12 for i in ids)
