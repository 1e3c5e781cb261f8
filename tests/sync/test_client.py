"""SyncClient against the local stack over real HTTP."""

from __future__ import annotations

import dataclasses
import json
import logging
import time

import pytest

from daemon.errors import AuthError, NetworkError, ServerError
from daemon.fxa.credentials import StaticCredentials, SyncKey
from daemon.sync.client import OutgoingRecord, SyncClient
from daemon.sync.crypto import CollectionKeys, KeyBundle, encrypt_payload
from daemon.sync.errors import (
    BackoffError,
    CredentialsChangedError,
    EngineDeclinedError,
    InvalidRecordError,
    NodeReassignedError,
    PreconditionFailedError,
    RecordRejectedError,
    RecordTooLargeError,
    ServerEndOfLifeError,
    UpgradeRequiredError,
)
from daemon.sync.meta import MetaGlobal
from fxstack.faults import Fault
from fxstack.sync.db import Query


def records(count: int, prefix: str = "rec") -> list[OutgoingRecord]:
    return [
        OutgoingRecord(f"{prefix}{n:09d}"[:12], {"type": "bookmark", "title": f"title {n}"})
        for n in range(count)
    ]


class Clock:
    """A local clock the test can move forward (no sleeping)."""

    def __init__(self) -> None:
        self.shift = 0.0

    def __call__(self) -> float:
        return time.time() + self.shift


# -- set-up records -------------------------------------------------------------------


async def test_empty_account_gets_meta_global_and_keys(client, stack, account):
    ids = await client.engine_ids("bookmarks", version=2)
    uid = stack.sync.storage_uid(account.uid)
    meta = json.loads(stack.sync.db.get_bso(uid, "meta", "global").payload)
    assert meta["storageVersion"] == 5
    assert meta["syncID"] == ids.global_sync_id
    assert meta["engines"]["bookmarks"] == {"version": 2, "syncID": ids.engine_sync_id}
    assert meta["engines"]["clients"]["version"] == 1
    assert meta["declined"] == []
    assert len(ids.global_sync_id) == 12 and len(ids.engine_sync_id) == 12
    keys = stack.sync.db.get_bso(uid, "crypto", "keys")
    assert "ciphertext" in json.loads(keys.payload)


async def test_second_client_adopts_and_never_overwrites(client, credentials, http, stack, account):
    first = await client.engine_ids("bookmarks", version=2)
    await client.upload("bookmarks", records(3), if_unmodified_since=None)
    uid = stack.sync.storage_uid(account.uid)
    before = {
        c: stack.sync.db.get_bso(uid, c, i) for c, i in (("meta", "global"), ("crypto", "keys"))
    }
    second = await SyncClient.connect(credentials, http=http)
    assert await second.engine_ids("bookmarks", version=2) == first
    download = await second.download("bookmarks")
    assert sorted(r.cleartext["title"] for r in download.records) == [
        "title 0",
        "title 1",
        "title 2",
    ]
    after = {
        c: stack.sync.db.get_bso(uid, c, i) for c, i in (("meta", "global"), ("crypto", "keys"))
    }
    assert after == before


async def test_racing_creator_wins_and_is_adopted(client, stack, account):
    uid = stack.sync.storage_uid(account.uid)
    theirs = MetaGlobal.new()

    async def other_client_creates_meta() -> None:
        stack.sync.write_records(uid, "meta", [{"id": "global", "payload": theirs.to_payload()}])

    stack.sync.before_next(other_client_creates_meta, method="PUT", path_contains="/meta/global")
    ids = await client.engine_ids("bookmarks", version=2)
    assert ids.global_sync_id == theirs.sync_id
    assert ids.engine_sync_id == theirs.engines["bookmarks"]["syncID"]


async def test_missing_engine_is_added_keeping_other_fields(client, stack, account):
    uid = stack.sync.storage_uid(account.uid)
    meta = {
        "syncID": "globalsyncid",
        "storageVersion": 5,
        "declined": ["passwords"],
        "engines": {"history": {"version": 1, "syncID": "historysync1"}},
        "future": [1],
    }
    stack.sync.write_records(uid, "meta", [{"id": "global", "payload": json.dumps(meta)}])
    ids = await client.engine_ids("bookmarks", version=2)
    stored = json.loads(stack.sync.db.get_bso(uid, "meta", "global").payload)
    assert ids.global_sync_id == "globalsyncid"
    assert stored["engines"]["history"] == meta["engines"]["history"]
    assert stored["engines"]["bookmarks"]["syncID"] == ids.engine_sync_id
    assert stored["declined"] == ["passwords"] and stored["future"] == [1]


async def test_declined_engine(client, stack, account):
    uid = stack.sync.storage_uid(account.uid)
    meta = MetaGlobal.new(declined=["bookmarks"])
    stack.sync.write_records(uid, "meta", [{"id": "global", "payload": meta.to_payload()}])
    with pytest.raises(EngineDeclinedError):
        await client.engine_ids("bookmarks", version=2)


@pytest.mark.parametrize(("version", "engine_version"), [(6, 2), (5, 3), (4, 2)])
async def test_versions_we_cannot_handle(client, stack, account, version, engine_version):
    uid = stack.sync.storage_uid(account.uid)
    meta = {
        "syncID": "globalsyncid",
        "storageVersion": version,
        "engines": {"bookmarks": {"version": engine_version, "syncID": "bookmarksync"}},
    }
    stack.sync.write_records(uid, "meta", [{"id": "global", "payload": json.dumps(meta)}])
    for _attempt in range(2):  # every call, not only the first
        with pytest.raises(UpgradeRequiredError):
            await client.engine_ids("bookmarks", version=2)
    if version != 5:  # a storage version stops reading and writing records, too
        with pytest.raises(UpgradeRequiredError):
            await client.download("bookmarks")
    assert json.loads(stack.sync.db.get_bso(uid, "meta", "global").payload) == meta


async def test_keys_from_other_credentials_are_never_replaced(client, stack, account):
    uid = stack.sync.storage_uid(account.uid)
    foreign = CollectionKeys.generate().encrypt(KeyBundle.random())
    await client.engine_ids("bookmarks", version=2)
    stack.sync.write_records(uid, "crypto", [{"id": "keys", "payload": foreign}])
    await client.info_collections()
    with pytest.raises(CredentialsChangedError) as raised:
        await client.engine_ids("bookmarks", version=2)
    assert raised.value.status.name == "AUTH"
    assert stack.sync.db.get_bso(uid, "crypto", "keys").payload == foreign


async def test_changed_sync_id_is_reported(client, stack, account):
    first = await client.engine_ids("bookmarks", version=2)
    uid = stack.sync.storage_uid(account.uid)
    meta = json.loads(stack.sync.db.get_bso(uid, "meta", "global").payload)
    meta["engines"]["bookmarks"]["syncID"] = "resetbyother"
    stack.sync.write_records(uid, "meta", [{"id": "global", "payload": json.dumps(meta)}])
    assert await client.changed_since(0.0)
    second = await client.engine_ids("bookmarks", version=2)
    assert second.global_sync_id == first.global_sync_id
    assert second.engine_sync_id == "resetbyother"


async def test_changed_keys_are_reported(client, stack, account):
    first = await client.engine_ids("bookmarks", version=2)
    uid = stack.sync.storage_uid(account.uid)
    new_keys = CollectionKeys.generate().encrypt(KeyBundle.from_ksync(account.ksync))
    stack.sync.write_records(uid, "crypto", [{"id": "keys", "payload": new_keys}])
    await client.info_collections()
    second = await client.engine_ids("bookmarks", version=2)
    assert second.keys_fingerprint != first.keys_fingerprint
    assert second.engine_sync_id == first.engine_sync_id


# -- the cheap path -------------------------------------------------------------------


async def test_a_no_op_sync_costs_one_request(client):
    await client.engine_ids("bookmarks", version=2)
    last = await client.upload("bookmarks", records(2), if_unmodified_since=None)
    await client.download("bookmarks")
    info = await client.info_collections()
    before = client.requests
    assert not await client.changed_since(max(info.values()))
    await client.engine_ids("bookmarks", version=2)
    assert client.requests - before == 1
    assert last == info["bookmarks"]


# -- records --------------------------------------------------------------------------


async def test_paging(client, stack):
    await client.upload("bookmarks", records(7), if_unmodified_since=None)
    client.page_size = 3
    before = stack.sync.request_count(method="GET", contains="/storage/bookmarks")
    download = await client.download("bookmarks")
    assert len(download.records) == 7 and not download.skipped
    assert stack.sync.request_count(method="GET", contains="/storage/bookmarks") - before == 3


async def test_paging_restarts_when_the_collection_changes(client, stack, account):
    await client.upload("bookmarks", records(4), if_unmodified_since=None)
    client.page_size = 2
    uid = stack.sync.storage_uid(account.uid)
    late = OutgoingRecord("latecomer001", {"type": "bookmark", "title": "late"})
    keys = await client.collection_keys()
    payload = encrypt_payload({"id": late.id, **late.cleartext}, keys.default)

    async def foreign_write() -> None:
        stack.sync.write_records(uid, "bookmarks", [{"id": late.id, "payload": payload}])

    stack.sync.before_next(foreign_write, method="GET", path_contains="offset=")
    download = await client.download("bookmarks")
    assert len(download.records) == 5
    assert download.last_modified == (await client.info_collections())["bookmarks"]


async def test_batches_within_small_limits(client, stack, account):
    stack.sync.configure(max_post_records=3, max_total_records=7, max_post_bytes=100_000)
    posts_before = stack.sync.request_count(method="POST")
    modified = await client.upload("bookmarks", records(16), if_unmodified_since=None)
    posts = stack.sync.request_count(method="POST") - posts_before
    # 16 records → batches of 7, 7, 2 → POSTs of 3+3+1, 3+3+1, 2
    assert posts == 7
    uid = stack.sync.storage_uid(account.uid)
    stored = stack.sync.db.query(uid, "bookmarks", Query())[0]
    assert len(stored) == 16
    assert len({bso.modified for bso in stored}) == 3
    assert modified == (await client.info_collections())["bookmarks"]
    assert len((await client.download("bookmarks")).records) == 16


async def test_batches_within_byte_limits(client, stack):
    stack.sync.configure(max_post_bytes=1500, max_request_bytes=2000, max_total_bytes=3000)
    await client.upload("bookmarks", records(20), if_unmodified_since=None)
    assert len((await client.download("bookmarks")).records) == 20


async def test_a_record_too_large_is_refused_before_sending(client, stack):
    await client.engine_ids("bookmarks", version=2)
    stack.sync.configure(max_record_payload_bytes=200)
    posts = stack.sync.request_count(method="POST")
    big = OutgoingRecord("bigrecord001", {"title": "x" * 500})
    with pytest.raises(RecordTooLargeError):
        await client.upload("bookmarks", [big], if_unmodified_since=None)
    assert stack.sync.request_count(method="POST") == posts


async def test_records_the_server_would_refuse_are_not_sent(client, stack):
    posts = stack.sync.request_count(method="POST")
    for bad in (
        OutgoingRecord("x" * 65, {"title": "id too long"}),
        OutgoingRecord("a,b", {"title": "comma in id"}),
        OutgoingRecord("goodid000001", {"title": "x"}, sortindex=10**10),
    ):
        with pytest.raises(InvalidRecordError):
            await client.upload("bookmarks", [*records(3), bad], if_unmodified_since=None)
    assert stack.sync.request_count(method="POST") == posts


async def test_refused_records_stop_the_upload(client, stack):
    await client.engine_ids("bookmarks", version=2)
    refusal = {"batch": "1", "success": [], "failed": {"rec000000000": "invalid bso"}}
    stack.faults.add(Fault("/storage/", method="POST", status=202, body=refusal))
    posts = stack.sync.request_count(method="POST")
    with pytest.raises(RecordRejectedError) as raised:
        await client.upload("bookmarks", records(250), if_unmodified_since=None)
    assert raised.value.failed == {"rec000000000": "invalid bso"}
    assert stack.sync.request_count(method="POST") == posts  # the fault answered; no commit
    assert (await client.download("bookmarks")).records == []


async def test_412_when_someone_wrote_since(client):
    first = await client.upload("bookmarks", records(1), if_unmodified_since=None)
    await client.upload("bookmarks", records(1, "other"), if_unmodified_since=first)
    with pytest.raises(PreconditionFailedError):
        await client.upload("bookmarks", records(1, "mine"), if_unmodified_since=first)
    ids = {r.id for r in (await client.download("bookmarks")).records}
    assert not any(i.startswith("mine") for i in ids)


async def test_foreign_write_between_get_and_post_is_412(client, stack, account):
    await client.upload("bookmarks", records(2), if_unmodified_since=None)
    download = await client.download("bookmarks")
    uid = stack.sync.storage_uid(account.uid)

    async def other_device_writes() -> None:
        stack.sync.write_records(uid, "bookmarks", [{"id": "otherdevice1", "payload": "{}"}])

    stack.sync.before_next(other_device_writes, method="POST", path_contains="/bookmarks")
    with pytest.raises(PreconditionFailedError):
        await client.upload(
            "bookmarks", records(1, "mine"), if_unmodified_since=download.last_modified
        )


async def test_bad_hmac_record_is_skipped_and_reported(client, stack, account, caplog):
    await client.upload("bookmarks", records(3), if_unmodified_since=None)
    uid = stack.sync.storage_uid(account.uid)
    stack.sync.corrupt_hmac(uid, "bookmarks", "rec000000001")
    with caplog.at_level(logging.WARNING):
        download = await client.download("bookmarks")
    assert [r.id for r in download.records] == ["rec000000000", "rec000000002"]
    assert [(s.id, s.reason) for s in download.skipped] == [
        ("rec000000001", "the record failed its HMAC check")
    ]
    assert "rec000000001" in caplog.text
    payload = stack.sync.db.get_bso(uid, "bookmarks", "rec000000001").payload
    assert json.loads(payload)["ciphertext"] not in caplog.text


async def test_mismatched_inner_id_is_skipped(client, stack, account):
    keys = await client.collection_keys()
    uid = stack.sync.storage_uid(account.uid)
    payload = encrypt_payload({"id": "somethingels", "title": "x"}, keys.default)
    stack.sync.write_records(uid, "bookmarks", [{"id": "outerid00001", "payload": payload}])
    download = await client.download("bookmarks")
    assert download.records == [] and download.skipped[0].id == "outerid00001"


# -- tokens, nodes, backoff, network --------------------------------------------------


async def test_expired_token_is_replaced(client, stack):
    await client.engine_ids("bookmarks", version=2)
    stack.sync.expire_tokens()
    token_requests = client.storage._tokens.requests
    await client.upload("bookmarks", records(1), if_unmodified_since=None)
    assert client.storage._tokens.requests == token_requests + 1


async def test_token_expiring_locally_is_refreshed_before_use(credentials, http):
    clock = Clock()
    client = await SyncClient.connect(credentials, http=http, clock=clock)
    clock.shift = 3600
    await client.download("bookmarks")
    assert client.storage._tokens.requests == 2


async def test_idle_poll_keeps_using_an_expired_token(credentials, http):
    """Storage answers info/collections with an expired token: polling costs no token."""
    client = await SyncClient.connect(credentials, http=http)
    before = client.requests
    client.storage._token = dataclasses.replace(client.storage._token, expires_at=0.0)
    assert await client.changed_since(None)
    assert client.storage._tokens.requests == 1
    assert client.requests == before + 1


async def test_node_reassignment_signals_a_reset(client, stack, account):
    first = await client.engine_ids("bookmarks", version=2)
    await client.upload("bookmarks", records(2), if_unmodified_since=None)
    stack.sync.reassign_node(account.uid)
    with pytest.raises(NodeReassignedError):
        await client.download("bookmarks")
    second = await client.engine_ids("bookmarks", version=2)
    assert second.global_sync_id != first.global_sync_id
    assert (await client.download("bookmarks")).records == []


async def test_unauthorized_access_token_is_refreshed_once(stack, account, http):
    credentials = StaticCredentials(
        token_server_url=stack.url + "/token/1.0/sync/1.5",
        sync_key=account_key(account),
        token="revoked-or-expired",
    )
    with pytest.raises(AuthError):
        await SyncClient.connect(credentials, http=http)
    assert credentials.unauthorized_calls == 1


def account_key(account):
    return SyncKey(account.ksync, account.kid)


async def test_stale_keys_are_credentials_changed(stack, account, http):
    good = StaticCredentials(
        stack.url + "/token", account_key(account), stack.fxa.issue_access_token(account.uid)
    )
    await SyncClient.connect(good, http=http)
    ts, state = account.kid.split("-", 1)
    stale = SyncKey(account.ksync, f"{int(ts) - 1}-{state}")
    with pytest.raises(CredentialsChangedError):
        await SyncClient.connect(
            StaticCredentials(good.token_server_url, stale, good.token), http=http
        )


async def test_503_retry_after_is_honoured(credentials, http, stack):
    clock = Clock()
    client = await SyncClient.connect(credentials, http=http, clock=clock)
    stack.faults.add(Fault("/storage/", status=503, headers={"Retry-After": "30"}))
    with pytest.raises(BackoffError) as raised:
        await client.info_collections()
    assert 29 <= raised.value.retry_after <= 30
    sent = stack.sync.request_count()
    with pytest.raises(BackoffError):
        await client.info_collections()
    assert stack.sync.request_count() == sent  # nothing went out while backing off
    clock.shift = 31
    await client.info_collections()


async def test_x_weave_backoff_is_honoured(credentials, http, stack):
    clock = Clock()
    client = await SyncClient.connect(credentials, http=http, clock=clock)
    stack.faults.add(Fault("/storage/", headers={"X-Weave-Backoff": "120"}))
    assert await client.info_collections() == {}  # the request itself succeeds
    with pytest.raises(BackoffError) as raised:
        await client.info_collections()
    assert raised.value.retry_after > 100
    clock.shift = 121
    await client.info_collections()


async def test_token_server_backoff_is_honoured(credentials, http, stack):
    stack.faults.add(Fault("/token/", headers={"X-Backoff": "600"}))
    client = await SyncClient.connect(credentials, http=http)
    with pytest.raises(BackoffError) as raised:
        await client.info_collections()
    assert raised.value.retry_after > 590


async def test_token_server_503(credentials, http, stack):
    client = await SyncClient.connect(credentials, http=http)
    stack.sync.expire_tokens()
    stack.faults.add(Fault("/token/", status=503, headers={"Retry-After": "42"}))
    with pytest.raises(BackoffError) as raised:
        await client.download("bookmarks")
    assert raised.value.retry_after == 42
    token_requests = client.storage._tokens.requests
    with pytest.raises(BackoffError):  # remembered: the token server is not asked again
        await client.download("bookmarks")
    assert client.storage._tokens.requests == token_requests


async def test_409_is_a_backoff(client, stack):
    stack.faults.add(Fault("/storage/", method="POST", status=409))
    with pytest.raises(BackoffError):
        await client.upload("bookmarks", records(1), if_unmodified_since=None)


async def test_dropped_connection_is_a_network_error(client, stack):
    # aiohttp itself retries an idempotent request once on a fresh connection.
    stack.faults.add(Fault("/storage/", drop=True, times=2))
    with pytest.raises(NetworkError) as raised:
        await client.info_collections()
    assert "connection" in raised.value.message
    stack.faults.add(Fault("/storage/", method="POST", drop=True))
    with pytest.raises(NetworkError):
        await client.upload("bookmarks", records(1), if_unmodified_since=None)
    assert await client.info_collections() != {}


async def test_unreachable_token_server_is_a_network_error(account, http):
    credentials = StaticCredentials("http://127.0.0.1:9/token", account_key(account), "t")
    with pytest.raises(NetworkError):
        await SyncClient.connect(credentials, http=http)


async def test_513_is_end_of_life(client, stack):
    alert = json.dumps({"code": "hard-eol", "message": "Service shut down.", "url": "x"})
    stack.faults.add(Fault("/storage/", status=513, headers={"X-Weave-Alert": alert}))
    with pytest.raises(ServerEndOfLifeError, match="Service shut down"):
        await client.info_collections()
    sent = stack.sync.request_count()
    with pytest.raises(ServerEndOfLifeError):  # and nothing more is sent
        await client.info_collections()
    assert stack.sync.request_count() == sent


async def test_hard_eol_alert_on_a_success_stops_syncing(client, stack):
    alert = json.dumps({"code": "hard-eol", "message": "Moved for good.", "url": "x"})
    stack.faults.add(Fault("/storage/", headers={"X-Weave-Alert": alert}))
    with pytest.raises(ServerEndOfLifeError, match="Moved for good"):
        await client.info_collections()


async def test_soft_eol_alert_is_only_logged(client, stack, caplog):
    alert = json.dumps({"code": "soft-eol", "message": "Leaving soon.", "url": "x"})
    stack.faults.add(Fault("/storage/", headers={"X-Weave-Alert": alert}))
    with caplog.at_level(logging.WARNING):
        assert await client.info_collections() == {}
    assert "Leaving soon." in caplog.text


@pytest.mark.parametrize(
    ("code", "error", "words"),
    [
        (14, ServerError, "full"),
        (16, UpgradeRequiredError, "newer foxbridge"),
        (8, ServerError, "HTTP 400, code 8"),
    ],
)
async def test_weave_error_codes_are_explained(client, stack, code, error, words):
    await client.engine_ids("bookmarks", version=2)
    stack.faults.add(Fault("/storage/", method="POST", status=400, body=code))
    with pytest.raises(error, match=words):
        await client.upload("bookmarks", records(1), if_unmodified_since=None)


async def test_missing_info_configuration_means_defaults(client, stack):
    stack.faults.add(Fault("/storage/", status=404, body=0))
    limits = await client.limits()
    assert limits.max_post_records == 100


@pytest.mark.parametrize("shift", [-7200, 7200])
async def test_clock_skew_is_corrected(credentials, http, shift):
    clock = Clock()
    clock.shift = shift  # two hours off; the stack allows a minute
    client = await SyncClient.connect(credentials, http=http, clock=clock)
    assert await client.info_collections() == {}
    assert await client.info_collections() == {}
    assert client.storage._tokens.requests == 1  # the token's lifetime is on our clock


async def test_no_secret_in_logs_reprs_or_errors(client, stack, account, credentials, caplog):
    caplog.set_level(logging.DEBUG)
    await client.engine_ids("bookmarks", version=2)
    await client.upload("bookmarks", records(3), if_unmodified_since=None)
    stack.sync.corrupt_hmac(stack.sync.storage_uid(account.uid), "bookmarks", "rec000000001")
    stack.sync.expire_tokens()
    await client.download("bookmarks")
    stack.faults.add(Fault("/storage/", status=503, headers={"Retry-After": "5"}))
    with pytest.raises(BackoffError) as raised:
        await client.info_collections()
    token = client.storage._token
    keys = await client.collection_keys()
    secrets = [
        token.id,
        token.key,
        credentials.token,
        account.ksync.hex(),
        *keys.default.to_b64_pair(),
    ]
    seen = " ".join(
        [
            caplog.text,
            repr(token),
            repr(keys),
            repr(client.storage._tokens),
            str(raised.value),
            repr(credentials.sync_key),
        ]
    )
    for secret in secrets:
        assert secret not in seen
