"""The stack's tokenserver: credentials for storage, and the production error rules."""

from __future__ import annotations

import base64
import time

import aiohttp
import pytest

TOKEN_PATH = "/token/1.0/sync/1.5"


def key_id(keys_changed_at: int, state: bytes) -> str:
    return f"{keys_changed_at}-" + base64.urlsafe_b64encode(state).rstrip(b"=").decode()


@pytest.fixture
def account(stack):
    return stack.fxa.create_account("token@example.com", "pass phrase")


@pytest.fixture
async def ask(stack, account):
    async with aiohttp.ClientSession() as http:

        async def ask(headers: dict[str, str] | None = None, *, query: str = "", bearer=None):
            access = bearer or stack.fxa.issue_access_token(account.uid)
            all_headers = {"Authorization": f"Bearer {access}", "X-KeyID": account.kid}
            all_headers.update(headers or {})
            all_headers = {k: v for k, v in all_headers.items() if v is not None}
            async with http.get(f"{stack.url}{TOKEN_PATH}{query}", headers=all_headers) as r:
                return r.status, r.headers, await r.json()

        yield ask


async def test_token_fields(ask, account, stack):
    status, headers, body = await ask()
    assert status == 200
    assert abs(int(headers["X-Timestamp"]) - time.time()) < 5
    assert set(body) >= {"id", "key", "uid", "api_endpoint", "duration", "hashed_fxa_uid"}
    assert body["hashalg"] == "sha256"
    assert body["duration"] == 3600
    assert body["api_endpoint"] == f"{stack.url}/storage/1.5/{body['uid']}"
    assert len(body["hashed_fxa_uid"]) == 32
    again = (await ask())[2]
    assert again["uid"] == body["uid"] and again["id"] != body["id"]


@pytest.mark.parametrize(
    ("query", "duration"),
    [("?duration=60", 60), ("?duration=99999", 3600), ("?duration=soon", 3600)],
)
async def test_duration_is_honoured_only_when_shorter(ask, query, duration):
    assert (await ask(query=query))[2]["duration"] == duration


async def test_scope_must_be_oldsync(ask, stack, account):
    profile_only = stack.fxa.issue_access_token(account.uid, scope="profile")
    status, _, body = await ask(bearer=profile_only)
    assert (status, body["status"]) == (401, "invalid-credentials")


@pytest.mark.parametrize(
    ("headers", "status_name"),
    [
        ({"Authorization": None}, "invalid-credentials"),
        ({"Authorization": "Bearer not-a-real-token"}, "invalid-credentials"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "invalid-credentials"),
        ({"X-KeyID": None}, "invalid-key-id"),
        ({"X-KeyID": "no-dash-number"}, "invalid-credentials"),
        ({"X-KeyID": "123-"}, "invalid-credentials"),
        ({"X-KeyID": "123-!!!"}, "invalid-credentials"),
        ({"X-Client-State": "00" * 16}, "invalid-client-state"),
    ],
)
async def test_rejections(ask, headers, status_name):
    status, headers_out, body = await ask(headers)
    assert status == 401
    assert body["status"] == status_name
    assert set(body["errors"][0]) == {"location", "name", "description"}
    assert "X-Timestamp" in headers_out


async def test_matching_legacy_client_state_is_accepted(ask, account):
    state = base64.urlsafe_b64decode(account.kid.split("-", 1)[1] + "==").hex()
    assert (await ask({"X-Client-State": state}))[0] == 200


async def test_keys_changed_at_may_not_exceed_generation(ask, account):
    status, _, body = await ask({"X-KeyID": key_id(account.generation + 1, b"s" * 16)})
    assert (status, body["status"]) == (401, "invalid-keysChangedAt")


async def test_key_history_rules(ask, stack, account):
    """Client state (kB fingerprint) and keysChangedAt may only move forward together."""
    kca = account.key_rotation_timestamp
    first = (await ask())[2]
    account.generation += 10  # the password changes: a newer generation
    # a new kB without a newer keysChangedAt
    status, _, body = await ask({"X-KeyID": key_id(kca, b"new-kB-state----")})
    assert (status, body["status"]) == (401, "invalid-client-state")
    # keysChangedAt going backwards
    status, _, body = await ask({"X-KeyID": key_id(kca - 1, b"new-kB-state----")})
    assert (status, body["status"]) == (401, "invalid-keysChangedAt")
    # a real key change: a new, empty storage uid
    status, _, changed = await ask({"X-KeyID": key_id(kca + 5, b"new-kB-state----")})
    assert status == 200 and changed["uid"] != first["uid"]
    # the old kB is refused from now on, even with a newer keysChangedAt
    old_state = base64.urlsafe_b64decode(account.kid.split("-", 1)[1] + "==")
    status, _, body = await ask({"X-KeyID": key_id(kca + 6, old_state)})
    assert (status, body["status"]) == (401, "invalid-client-state")


async def test_generation_going_backwards(ask, stack, account):
    account.generation += 100
    assert (await ask())[0] == 200
    account.generation -= 50
    status, _, body = await ask()
    assert (status, body["status"]) == (401, "invalid-generation")
