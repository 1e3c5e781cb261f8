"""What the Sync storage server sends: odd statuses, headers and bodies.

The real client talks to the local stack over HTTP; a fault rewrites one answer with a
random status, random headers (timestamps, backoffs, offsets, alerts) and a random body
(junk JSON, or records whose encrypted payloads are junk). Every call either works or
raises a ``FoxbridgeError``, and the client stays usable once the fault is gone.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from daemon.errors import FoxbridgeError
from daemon.sync.client import SyncClient
from daemon.sync.crypto import KeyBundle, RecordCryptoError, decrypt_payload
from daemon.sync.errors import MAX_SERVER_WAIT, BackoffError, SyncProtocolError
from daemon.sync.meta import MetaGlobal
from daemon.sync.storage import Response
from fxstack.faults import Fault
from tests.bookmarks.sync_support import Account
from tests.security.strategies import JSON


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def account(stack, http) -> Account:
    return Account(stack, http)


NUMBERS = st.sampled_from(
    ["", "0", "-5", "1e308", "inf", "Infinity", "-inf", "nan", "12.5", " 3 ", "x", "１２"]
)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "X-Weave-Timestamp": NUMBERS,
        "X-Last-Modified": NUMBERS,
        "X-Weave-Backoff": NUMBERS,
        "Retry-After": NUMBERS,
        "X-Weave-Next-Offset": st.text(max_size=10).filter(str.isprintable) | NUMBERS,
        "X-Weave-Alert": st.sampled_from(["", "soft-eol", "{", '{"code":"hard-eol"}', "ünï"]),
        "X-Weave-Records": NUMBERS,
    },
).map(lambda h: {k: v.encode("utf-8").decode("latin-1") for k, v in h.items()})

PAYLOADS = st.one_of(
    st.text(max_size=20),
    st.fixed_dictionaries(
        {},
        optional={
            "ciphertext": st.text(max_size=24) | JSON,
            "IV": st.text(max_size=24) | JSON,
            "hmac": st.text(max_size=64) | JSON,
        },
    ).map(json.dumps),
    JSON,
)
BSOS = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=14) | JSON,
        "modified": st.floats(allow_nan=True, allow_infinity=True) | JSON,
        "payload": PAYLOADS,
        "sortindex": JSON,
    },
)
BODIES = st.none() | JSON | st.lists(BSOS, max_size=3)


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.sampled_from([200, 201, 304, 400, 401, 404, 409, 412, 500, 503, 513]), BODIES, HEADERS)
@example(200, {}, {"X-Weave-Backoff": "inf"})
@example(503, None, {"Retry-After": "Infinity"})
@example(200, {}, {"X-Weave-Timestamp": "nan"})
@example(200, {}, {"X-Weave-Backoff": "1e306"})  # days × 1000 overflowed the scheduler
@example(200, {}, {"X-Weave-Alert": "[" * 8000})  # nested deeper than Python's stack
async def test_odd_answers_are_errors_and_the_client_recovers(
    stack, account: Account, status: int, body: object, headers: dict[str, str]
) -> None:
    stack.faults.clear()
    client = await SyncClient.connect(account.credentials, http=account.http)
    for operation in (client.info_collections, lambda: client.download("bookmarks")):
        stack.faults.add(Fault("/storage/", status=status, body=body, headers=headers))
        stack.faults.add(Fault("/1.5/", status=status, body=body, headers=headers))
        try:
            await operation()
        except FoxbridgeError as failure:
            assert failure.message
        stack.faults.clear()
    # The fault is gone: a fresh client works (the old one may rightly be backing off).
    fresh = await SyncClient.connect(account.credentials, http=account.http)
    assert isinstance(await fresh.info_collections(), dict)


TOKEN_BODIES = (
    st.none()
    | JSON
    | st.fixed_dictionaries(
        {},
        optional={
            "id": JSON | st.just("token-id"),
            "key": JSON | st.just("token-key"),
            "uid": JSON | st.just(42),
            "api_endpoint": JSON | st.sampled_from(["http://127.0.0.1:1/1.5/42", "ftp://x", ""]),
            "duration": JSON | st.just(300),
            "hashed_fxa_uid": JSON,
        },
    )
)
TOKEN_HEADERS = st.fixed_dictionaries(
    {}, optional={"X-Timestamp": NUMBERS, "Retry-After": NUMBERS, "X-Backoff": NUMBERS}
)


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.sampled_from([200, 401, 403, 404, 500, 503]), TOKEN_BODIES, TOKEN_HEADERS)
@example(200, None, {"X-Timestamp": "nan"})  # the real token, with a clock of NaN
@example(200, None, {"X-Timestamp": "inf"})
async def test_odd_token_server_answers_are_errors(
    stack, account: Account, status: int, body: object, headers: dict[str, str]
) -> None:
    stack.faults.clear()
    # ``body`` None with status 200: the real answer, with only the headers changed.
    replace = None if (status == 200 and body is None) else status
    stack.faults.add(Fault("/token/", status=replace, body=body, headers=headers, times=2))
    try:
        client = await SyncClient.connect(account.credentials, http=account.http)
        await client.info_collections()
    except FoxbridgeError as failure:
        assert failure.message
    finally:
        stack.faults.clear()


DEEP = "[" * 100_000 + "]" * 100_000  # valid JSON nested deeper than Python's stack


def test_json_nested_too_deeply_is_a_protocol_error() -> None:
    with pytest.raises(SyncProtocolError):
        Response(200, {}, DEEP.encode()).json()
    with pytest.raises(SyncProtocolError):
        MetaGlobal.from_payload(DEEP)
    with pytest.raises(RecordCryptoError):
        decrypt_payload(DEEP, KeyBundle.from_ksync(bytes(64)))


async def test_a_huge_backoff_is_bounded(stack, account: Account) -> None:
    client = await SyncClient.connect(account.credentials, http=account.http)
    stack.faults.add(Fault("/storage/", headers={"X-Weave-Backoff": "1e306"}))
    await client.info_collections()
    with pytest.raises(BackoffError) as raised:
        await client.info_collections()
    assert 0 < raised.value.retry_after <= MAX_SERVER_WAIT
    assert int(raised.value.retry_after * 1000) > 0  # as the scheduler reports it
