"""What the server sends is validated before use (pure)."""

from __future__ import annotations

import pytest

from daemon.sync.client import _newest_per_id
from daemon.sync.errors import InvalidRecordError, SyncProtocolError
from daemon.sync.meta import MetaGlobal
from daemon.sync.records import OutgoingRecord, ServerBso, parse_bso, parse_timestamp
from daemon.sync.storage import ServerLimits


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"id": "", "modified": 1.0},
        {"id": "x" * 65, "modified": 1.0},
        {"id": "ok", "modified": "soon"},
        {"id": "ok", "modified": -1},
        {"id": "ok", "modified": True},
        {"id": "ok", "modified": 1.0, "payload": 5},
        {"id": "ok", "modified": 1.0, "sortindex": "high"},
    ],
)
def test_bad_bsos_are_protocol_errors(data):
    with pytest.raises(SyncProtocolError):
        parse_bso(data)


def test_good_bso():
    bso = parse_bso({"id": "abc", "modified": 1700000000.1, "payload": "{}", "sortindex": 5})
    assert bso == ServerBso("abc", 1700000000.1, "{}", 5)
    assert parse_timestamp("1700000000.10") == 1700000000.1


@pytest.mark.parametrize(
    "data", [[], {"max_post_records": 0}, {"max_post_records": "100"}, {"max_post_bytes": 1.5}]
)
def test_bad_configuration(data):
    with pytest.raises(SyncProtocolError):
        ServerLimits.from_json(data)


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        "[]",
        '{"storageVersion": 5}',
        '{"syncID": "x", "storageVersion": "5"}',
        '{"syncID": "x", "storageVersion": 5, "engines": []}',
    ],
)
def test_bad_meta_global(payload):
    with pytest.raises(SyncProtocolError):
        MetaGlobal.from_payload(payload)


@pytest.mark.parametrize(
    "record",
    [
        OutgoingRecord("", {}),
        OutgoingRecord("a,b", {}),
        OutgoingRecord("ok", {}, sortindex=True),
        OutgoingRecord("ok", {}, ttl=-5),
    ],
)
def test_records_no_server_accepts(record):
    with pytest.raises(InvalidRecordError):
        record.check()


def test_a_record_seen_twice_is_kept_once_newest():
    first = ServerBso("a", 1.0, "old")
    other = ServerBso("b", 2.0, "b")
    again = ServerBso("a", 3.0, "new")
    assert _newest_per_id([first, other, again]) == [other, again]
