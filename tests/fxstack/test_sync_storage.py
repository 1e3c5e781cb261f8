"""The stack's storage follows the Sync 1.5 rules, one test (or table) per rule.

All requests go over real HTTP with hand-made Hawk headers (tests.sync.support).
"""

from __future__ import annotations

import json
import time

import aiohttp
import pytest

import fxstack.sync.db as storage_db
from tests.sync.support import RawStorage, fetch_token

BOOKMARKS = "/storage/bookmarks"


@pytest.fixture
def account(stack):
    return stack.fxa.create_account("rules@example.com", "pass phrase")


@pytest.fixture
async def raw(stack, account):
    async with aiohttp.ClientSession() as http:
        yield RawStorage(http, await fetch_token(http, stack, account))


def bso(bso_id: str, payload: str = "x", **extra) -> dict:
    return {"id": bso_id, "payload": payload, **extra}


def ts(response) -> float:
    return float(response.headers["X-Last-Modified"])


# -- Hawk and tokens ------------------------------------------------------------------


async def test_valid_hawk_is_accepted_and_every_response_is_stamped(raw):
    response = await raw.get("/info/collections")
    assert response.status == 200
    assert response.json() == {}
    assert "X-Weave-Timestamp" in response.headers
    assert response.headers["X-Last-Modified"] == "0.00"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"key": "not-the-key"}, "/info/collections"),  # bad MAC
        ({"ts": int(time.time()) - 3600}, "/info/collections"),  # stale timestamp
        ({"ts": int(time.time()) + 3600}, "/storage/bookmarks"),  # from the future
    ],
    ids=["bad-mac", "stale-ts", "future-ts"],
)
async def test_hawk_rejections(raw, change, path):
    response = await raw.get(path, **change)
    assert response.status == 401
    assert response.headers["Content-Type"].startswith("application/json")
    assert "X-Weave-Timestamp" in response.headers


async def test_unknown_token_and_other_users_path_are_rejected(raw):
    raw.token = {**raw.token, "id": "unknown"}
    assert (await raw.get("/info/collections")).status == 401
    raw.token = dict(raw.token)


async def test_token_for_another_uid_is_rejected(raw):
    endpoint = raw.token["api_endpoint"]
    raw.token = {**raw.token, "api_endpoint": endpoint.rsplit("/", 1)[0] + "/999"}
    assert (await raw.get("/info/collections")).status == 401


async def test_expired_token_may_only_poll_info_collections(stack, raw):
    stack.sync.expire_tokens()
    assert (await raw.get("/info/collections")).status == 200
    assert (await raw.get(BOOKMARKS)).status == 401
    assert (await raw.post(BOOKMARKS, [bso("a")])).status == 401


async def test_node_reassignment_invalidates_old_tokens(stack, account, raw):
    await raw.put("/storage/bookmarks/a", bso("a"))
    new_uid = stack.sync.reassign_node(account.uid)
    assert (await raw.get("/info/collections")).status == 401
    fresh = RawStorage(raw.http, await fetch_token(raw.http, stack, account))
    assert fresh.token["api_endpoint"].endswith(f"/{new_uid}")
    assert fresh.token["api_endpoint"] != raw.token["api_endpoint"]
    assert (await fresh.get("/info/collections")).json() == {}


# -- error shapes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", "/no/such/thing", None, 404, 0),
        ("GET", "/storage/bookmarks/missing", None, 404, 0),
        ("PUT", "/storage/bookmarks/a", {"payload": 1}, 400, 8),
        ("PUT", "/storage/bookmarks/a", {"payload": "x", "color": "red"}, 400, 8),
        ("PUT", "/storage/bookmarks/a", {"sortindex": 1_000_000_000}, 400, 8),
        ("PUT", "/storage/bookmarks/a", {"ttl": -1}, 400, 8),
        ("PUT", "/storage/bookmarks/a", {"id": "b", "payload": "x"}, 400, 8),
        ("GET", "/storage/bad%20name", None, 400, 13),
        ("GET", "/storage/bookmarks?newer=yesterday", None, 400, 8),
        ("GET", "/storage/bookmarks?limit=-1", None, 400, 8),
        ("GET", "/storage/bookmarks?sort=random", None, 400, 8),
        ("GET", "/storage/bookmarks?ids=" + ",".join(str(n) for n in range(101)), None, 400, 8),
        ("POST", "/storage/bookmarks?commit=true", [], 400, 1),
        ("POST", "/storage/bookmarks?batch=12345", [], 400, 1),
        ("POST", "/storage/bookmarks", {"not": "a list"}, 400, 8),
    ],
)
async def test_error_shapes(raw, method, path, body, status, code):
    response = await raw.request(method, path, body=body)
    assert response.status == status
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == code
    assert "X-Weave-Timestamp" in response.headers


async def test_unparseable_json_is_code_6(raw):
    response = await raw.request("POST", BOOKMARKS, data=b"[{", content_type="application/json")
    assert (response.status, response.json()) == (400, 6)


async def test_unknown_url_outside_a_user_is_json_zero(stack):
    async with aiohttp.ClientSession() as http, http.get(f"{stack.url}/storage/nothing") as r:
        assert r.status == 404
        assert json.loads(await r.text()) == 0


async def test_crypto_rejects_an_all_zero_iv(raw):
    payload = json.dumps({"ciphertext": "abc", "IV": "AAAAAAAAAAAAAAAAAAAAAA==", "hmac": "0"})
    assert (await raw.put("/storage/crypto/keys", bso("keys", payload))).status == 400
    assert (await raw.post("/storage/crypto", [bso("keys", payload)])).status == 400
    assert (await raw.put("/storage/bookmarks/keys", bso("keys", payload))).status == 200


async def test_bad_bsos_in_a_post_are_failed_not_fatal(raw):
    response = await raw.post(
        BOOKMARKS,
        [bso("good"), {"id": "x" * 65, "payload": "x"}, bso("bad", ttl="soon"), bso("u", extra=1)],
    )
    assert response.status == 200
    body = response.json()
    assert body["success"] == ["good"]
    assert set(body["failed"]) == {"x" * 65, "bad", "u"}


# -- timestamps and conditional requests ----------------------------------------------


async def test_writes_get_strictly_increasing_timestamps(raw):
    stamps = []
    for n in range(5):
        response = await raw.put(f"/storage/bookmarks/r{n}", bso(f"r{n}"))
        assert response.headers["X-Weave-Timestamp"] == response.headers["X-Last-Modified"]
        assert float(response.text) == ts(response)
        stamps.append(ts(response))
    assert stamps == sorted(set(stamps))
    info = (await raw.get("/info/collections")).json()
    assert info == {"bookmarks": stamps[-1]}
    assert len(format(stamps[-1], ".2f").split(".")[1]) == 2


async def test_if_modified_since_gives_304(raw):
    written = ts(await raw.put("/storage/bookmarks/a", bso("a")))
    since = {"X-If-Modified-Since": f"{written:.2f}"}
    assert (await raw.get("/info/collections", headers=since)).status == 304
    assert (await raw.get(BOOKMARKS, headers=since)).status == 304
    assert (await raw.get("/storage/bookmarks/a", headers=since)).status == 304
    earlier = {"X-If-Modified-Since": f"{written - 1:.2f}"}
    assert (await raw.get("/info/collections", headers=earlier)).status == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", BOOKMARKS, [bso("b")]),
        ("PUT", "/storage/bookmarks/a", bso("a")),
        ("DELETE", "/storage/bookmarks/a", None),
        ("DELETE", "/storage/bookmarks?ids=a", None),
        ("DELETE", BOOKMARKS, None),
        ("GET", BOOKMARKS, None),
    ],
)
async def test_if_unmodified_since_gives_412_and_writes_nothing(raw, method, path, body):
    written = ts(await raw.put("/storage/bookmarks/a", bso("a")))
    stale = {"X-If-Unmodified-Since": f"{written - 0.01:.2f}"}
    response = await raw.request(method, path, body=body, headers=stale)
    assert response.status == 412
    assert ts(response) == written
    assert (await raw.get(BOOKMARKS)).json() == ["a"]
    current = {"X-If-Unmodified-Since": f"{written:.2f}"}
    assert (await raw.request(method, path, body=body, headers=current)).status == 200


async def test_if_unmodified_since_zero_means_create_only(raw):
    zero = {"X-If-Unmodified-Since": "0"}
    assert (await raw.put("/storage/meta/global", bso("global"), headers=zero)).status == 200
    assert (await raw.put("/storage/meta/global", bso("global"), headers=zero)).status == 412


@pytest.mark.parametrize(
    "headers",
    [
        {"X-If-Modified-Since": "1.00", "X-If-Unmodified-Since": "1.00"},
        {"X-If-Unmodified-Since": "-1"},
        {"X-If-Modified-Since": "soon"},
    ],
)
async def test_bad_conditional_headers_are_400(raw, headers):
    assert (await raw.get(BOOKMARKS, headers=headers)).status == 400


# -- one BSO --------------------------------------------------------------------------


async def test_put_is_a_partial_update(raw):
    await raw.put("/storage/bookmarks/a", bso("a", "first", sortindex=5))
    await raw.put("/storage/bookmarks/a", {"ttl": 1000})
    got = (await raw.get("/storage/bookmarks/a")).json()
    assert (got["payload"], got["sortindex"]) == ("first", 5)
    assert "ttl" not in got
    await raw.put("/storage/bookmarks/a", {"sortindex": None})
    assert "sortindex" not in (await raw.get("/storage/bookmarks/a")).json()


async def test_ttl_expiry(raw, monkeypatch):
    await raw.put("/storage/bookmarks/short", bso("short", ttl=10))
    await raw.put("/storage/bookmarks/long", bso("long"))
    later = storage_db.now_cs() + 11 * 100
    monkeypatch.setattr(storage_db, "now_cs", lambda: later)
    assert (await raw.get("/storage/bookmarks/short")).status == 404
    assert (await raw.get(BOOKMARKS)).json() == ["long"]


async def test_delete_one_and_many_and_all(raw):
    await raw.post(BOOKMARKS, [bso(n) for n in "abcd"])
    await raw.put("/storage/meta/global", bso("global"))
    assert "modified" in (await raw.delete("/storage/bookmarks/a")).json()
    assert (await raw.delete("/storage/bookmarks/a")).status == 404
    await raw.delete("/storage/bookmarks?ids=b,c")
    assert (await raw.get(BOOKMARKS)).json() == ["d"]
    await raw.delete(BOOKMARKS)
    assert set((await raw.get("/info/collections")).json()) == {"meta"}
    await raw.delete("/storage")
    assert (await raw.get("/info/collections")).json() == {}


# -- reading collections --------------------------------------------------------------


@pytest.fixture
async def three(raw):
    stamps = []
    for name, index in (("a", 3), ("b", 1), ("c", 2)):
        stamps.append(ts(await raw.put(f"/storage/bookmarks/{name}", bso(name, sortindex=index))))
    return stamps


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?sort=oldest", ["a", "b", "c"]),
        ("?sort=newest", ["c", "b", "a"]),
        ("?sort=index", ["a", "c", "b"]),
        ("?ids=a,c&sort=oldest", ["a", "c"]),
        ("?newer={0}&sort=oldest", ["b", "c"]),
        ("?older={2}&sort=oldest", ["a", "b"]),
        ("?newer={0}&older={2}", ["b"]),
    ],
)
async def test_collection_queries(raw, three, query, expected):
    response = await raw.get(BOOKMARKS + query.format(*(f"{s:.2f}" for s in three)))
    assert response.json() == expected
    assert response.headers["X-Weave-Records"] == str(len(expected))
    assert ts(response) == three[-1]


async def test_full_records_carry_no_ttl(raw, three):
    records = (await raw.get(BOOKMARKS + "?full=1&sort=oldest")).json()
    assert [r["id"] for r in records] == ["a", "b", "c"]
    assert set(records[0]) == {"id", "modified", "payload", "sortindex"}
    assert records[0]["modified"] == three[0]


async def test_paging_with_next_offset(raw, three):
    seen, query = [], "?sort=oldest&limit=2"
    first = await raw.get(BOOKMARKS + query)
    seen += first.json()
    offset = first.headers["X-Weave-Next-Offset"]
    second = await raw.get(BOOKMARKS + query + f"&offset={offset}")
    seen += second.json()
    assert "X-Weave-Next-Offset" not in second.headers
    assert seen == ["a", "b", "c"]


async def test_newlines_format_and_406(raw, three):
    response = await raw.get(BOOKMARKS + "?sort=oldest", headers={"Accept": "application/newlines"})
    assert response.text.splitlines() == ['"a"', '"b"', '"c"']
    assert (await raw.get(BOOKMARKS, headers={"Accept": "text/html"})).status == 406


async def test_missing_collection_is_empty_not_404(raw):
    response = await raw.get("/storage/nothing-here")
    assert (response.status, response.json()) == (200, [])


async def test_info_endpoints(stack, raw, three):
    stack.sync.configure(max_post_records=7)
    config = (await raw.get("/info/configuration")).json()
    assert config["max_post_records"] == 7
    assert config["max_request_bytes"] == 2_625_536
    assert (await raw.get("/info/collection_counts")).json() == {"bookmarks": 3}
    used, quota = (await raw.get("/info/quota")).json()
    assert used > 0 and quota is None


# -- POST limits and batches ----------------------------------------------------------


async def test_post_limits_fail_the_excess_records(stack, raw):
    stack.sync.configure(max_post_records=2, max_post_bytes=10)
    body = (await raw.post(BOOKMARKS, [bso("a", "12345"), bso("b", "123456"), bso("c")])).json()
    assert body["success"] == ["a", "c"]  # "c" still fits after "b" did not
    assert body["failed"] == {"b": "retry bytes"}
    body = (await raw.post(BOOKMARKS, [bso("a"), bso("b"), bso("c")])).json()
    assert (body["success"], body["failed"]) == (["a", "b"], {"c": "retry bsos"})


@pytest.mark.parametrize(
    ("header", "value"),
    [("X-Weave-Records", "3"), ("X-Weave-Bytes", "1000"), ("X-Weave-Total-Records", "5")],
)
async def test_announced_sizes_over_the_limits_are_code_17(stack, raw, header, value):
    stack.sync.configure(max_post_records=2, max_post_bytes=100, max_total_records=4)
    response = await raw.post(BOOKMARKS + "?batch=true", [bso("a")], headers={header: value})
    assert (response.status, response.json()) == (400, 17)


async def test_too_large_a_body_is_413(stack, raw):
    stack.sync.configure(max_request_bytes=100)
    assert (await raw.post(BOOKMARKS, [bso("a", "x" * 200)])).status == 413


async def test_too_large_a_record_fails(stack, raw):
    stack.sync.configure(max_record_payload_bytes=10)
    body = (await raw.post(BOOKMARKS, [bso("a", "x" * 11)])).json()
    assert body["failed"] == {"a": "payload too large"}
    assert (await raw.put("/storage/bookmarks/a", bso("a", "x" * 11))).status == 413


async def test_batch_is_invisible_until_commit(raw):
    before = ts(await raw.put("/storage/bookmarks/z", bso("z")))
    first = await raw.post(BOOKMARKS + "?batch=true", [bso("a"), bso("b")])
    assert first.status == 202
    batch = first.json()["batch"]
    assert ts(first) == before
    second = await raw.post(BOOKMARKS + f"?batch={batch}", [bso("c")])
    assert (second.status, second.json()["success"]) == (202, ["c"])
    assert (await raw.get(BOOKMARKS)).json() == ["z"]
    committed = await raw.post(BOOKMARKS + f"?batch={batch}&commit=true", [bso("d")])
    assert committed.status == 200
    modified = committed.json()["modified"]
    assert modified == ts(committed) > before
    records = (await raw.get(BOOKMARKS + "?full=1")).json()
    assert {r["id"]: r["modified"] for r in records} == {
        "a": modified,
        "b": modified,
        "c": modified,
        "d": modified,
        "z": before,
    }
    again = await raw.post(BOOKMARKS + f"?batch={batch}&commit=true", [])
    assert (again.status, again.json()) == (400, 1)


async def test_batch_true_with_commit_is_a_plain_post(raw):
    response = await raw.post(BOOKMARKS + "?batch=true&commit=true", [bso("a")])
    assert response.status == 200 and "batch" not in response.json()
    assert (await raw.get(BOOKMARKS)).json() == ["a"]


async def test_empty_commit(raw):
    batch = (await raw.post(BOOKMARKS + "?batch=true", [bso("a")])).json()["batch"]
    response = await raw.request(
        "POST", BOOKMARKS + f"?batch={batch}&commit=true", data=b"", content_type="application/json"
    )
    assert response.status == 200
    assert (await raw.get(BOOKMARKS)).json() == ["a"]


async def test_batch_ids_belong_to_one_collection(raw):
    batch = (await raw.post(BOOKMARKS + "?batch=true", [bso("a")])).json()["batch"]
    response = await raw.post(f"/storage/history?batch={batch}&commit=true", [])
    assert (response.status, response.json()) == (400, 1)


async def test_batch_total_limit(stack, raw):
    stack.sync.configure(max_total_records=3)
    batch = (await raw.post(BOOKMARKS + "?batch=true", [bso("a"), bso("b")])).json()["batch"]
    response = await raw.post(BOOKMARKS + f"?batch={batch}", [bso("c"), bso("d")])
    assert (response.status, response.json()) == (400, 17)


async def test_batch_with_failed_records_commits_the_rest(raw):
    first = await raw.post(BOOKMARKS + "?batch=true", [bso("a"), bso("bad", sortindex="high")])
    assert first.json()["failed"] == {"bad": "invalid sortindex"}
    batch = first.json()["batch"]
    await raw.post(BOOKMARKS + f"?batch={batch}&commit=true", [])
    assert (await raw.get(BOOKMARKS)).json() == ["a"]


async def test_newlines_upload(raw):
    lines = b'{"id":"a","payload":"x"}\n{"id":"b","payload":"y"}\n'
    response = await raw.request("POST", BOOKMARKS, data=lines, content_type="application/newlines")
    assert response.json()["success"] == ["a", "b"]


async def test_hawk_from_an_independent_implementation_is_accepted(raw):
    """mohawk signs (with a payload hash); the stack's own verifier must agree."""
    import mohawk
    from yarl import URL

    url = raw.token["api_endpoint"] + "/storage/bookmarks?batch=true&commit=true"
    body = json.dumps([bso("fromMohawk01")]).encode()
    sender = mohawk.Sender(
        {"id": raw.token["id"], "key": raw.token["key"], "algorithm": "sha256"},
        url,
        "POST",
        content=body,
        content_type="application/json",
    )
    headers = {"Authorization": sender.request_header, "Content-Type": "application/json"}
    async with raw.http.post(URL(url, encoded=True), data=body, headers=headers) as response:
        assert response.status == 200
    tampered = body.replace(b"fromMohawk01", b"fromMohawk02")
    async with raw.http.post(URL(url, encoded=True), data=tampered, headers=headers) as response:
        assert response.status == 401  # the payload hash no longer matches


async def test_a_client_sent_modified_is_ignored(raw):
    """Firefox PUTs meta/global with ``"modified": 0``; the server sets the time itself."""
    response = await raw.put(
        "/storage/meta/global", {"id": "global", "payload": "{}", "modified": 0}
    )
    assert response.status == 200
    assert (await raw.get("/storage/meta/global")).json()["modified"] == ts(response)
