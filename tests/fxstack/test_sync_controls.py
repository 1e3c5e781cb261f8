"""The sync test controls under /__stack__/sync/…, used over HTTP by out-of-process tests."""

from __future__ import annotations

import aiohttp
import pytest

from tests.sync.support import RawStorage, fetch_token


@pytest.fixture
def account(stack):
    return stack.fxa.create_account("controls@example.com", "pass phrase")


@pytest.fixture
async def session(stack, account):
    async with aiohttp.ClientSession() as http:
        raw = RawStorage(http, await fetch_token(http, stack, account))

        async def control(action: str, body: dict | None = None, status: int = 200):
            async with http.post(f"{stack.url}/__stack__/sync/{action}", json=body or {}) as r:
                assert r.status == status, await r.text()
                return await r.json()

        yield raw, control


async def test_request_counter(session):
    raw, control = session
    await raw.get("/info/collections")
    await raw.get("/info/collections")
    counts = await control("requests")
    path = raw.token["api_endpoint"].split("://", 1)[1].split("/", 1)[1]
    assert counts[f"GET /{path}/info/collections"] == 2


async def test_configuration(session):
    raw, control = session
    assert (await control("configuration", {"max_post_records": 5}))["max_post_records"] == 5
    assert (await raw.get("/info/configuration")).json()["max_post_records"] == 5
    await control("configuration", {"no_such_limit": 1}, status=400)


async def test_expire_tokens(session):
    raw, control = session
    assert (await control("expire-tokens"))["expired"] >= 1
    assert (await raw.get("/storage/bookmarks")).status == 401


async def test_reassign(session, account, stack):
    raw, control = session
    result = await control("reassign", {"fxa_uid": account.uid})
    assert result["uid"] != raw.token["uid"]
    assert (await raw.get("/info/collections")).status == 401
    await control("reassign", {"fxa_uid": "nobody"}, status=400)


async def test_corrupt(session):
    raw, control = session
    await raw.put("/storage/bookmarks/a", {"payload": '{"ciphertext":"x","IV":"y","hmac":"abc"}'})
    await control("corrupt", {"uid": raw.token["uid"], "collection": "bookmarks", "id": "a"})
    payload = (await raw.get("/storage/bookmarks/a")).json()["payload"]
    assert '"hmac": "0bc"' in payload


async def test_foreign_write_before_the_next_matching_request(session):
    raw, control = session
    first = await raw.put("/storage/bookmarks/a", {"payload": "mine"})
    await control(
        "foreign-write",
        {
            "uid": raw.token["uid"],
            "collection": "bookmarks",
            "records": [{"id": "b"}],
            "method": "POST",
            "path_contains": "/storage/bookmarks",
        },
    )
    await raw.get("/storage/bookmarks")  # a GET does not trigger it
    assert (await raw.get("/storage/bookmarks")).json() == ["a"]
    since = {"X-If-Unmodified-Since": first.headers["X-Last-Modified"]}
    response = await raw.post("/storage/bookmarks", [{"id": "c"}], headers=since)
    assert response.status == 412
    assert sorted((await raw.get("/storage/bookmarks")).json()) == ["a", "b"]


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        (
            {"status": 503, "headers": {"Retry-After": "7"}},
            lambda r: r.status == 503 and r.headers["Retry-After"] == "7",
        ),
        (
            {"headers": {"X-Weave-Backoff": "60"}},
            lambda r: r.status == 200 and r.headers["X-Weave-Backoff"] == "60",
        ),
    ],
)
async def test_faults(session, fault, check):
    raw, control = session
    await control("fault", {"path_prefix": "/storage/", **fault})
    assert check(await raw.get("/info/collections"))
    assert (await raw.get("/info/collections")).status == 200  # fired once only


async def test_dropped_connection_fault(session):
    raw, control = session
    await control("fault", {"path_prefix": "/storage/", "drop": True, "times": 2})
    with pytest.raises(aiohttp.ClientError):
        await raw.get("/info/collections")


async def test_unknown_control(session):
    _raw, control = session
    await control("make-coffee", status=400)
