"""The accounts server double is as strict as the real one: Hawk, token lifetimes, the
confirmation gate, error shapes, and the documents Firefox reads."""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp
import mohawk
import pytest
from mohawk.base import EmptyValue

from fxstack.fxa import OLDSYNC
from fxstack.fxa.crypto import client_stretch, token_parts

PASSWORD = "hunter2 hunter2"


class Client:
    """Raw HTTP against the stack, signing with mohawk directly (not the foxbridge client)."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http = http
        self.url = url

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        kind: str = "sessionToken",
        key: bytes | None = None,
        ts: int | None = None,
        nonce: str | None = None,
        tamper: bool = False,
        content_type: str | None = None,
    ) -> tuple[int, Any]:
        url = self.url + path
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if token is not None:
            token_id, hawk_key, _ = token_parts(bytes.fromhex(token), kind)
            sender = mohawk.Sender(
                {"id": token_id, "key": key or hawk_key, "algorithm": "sha256"},
                url,
                method,
                content=data if data is not None else EmptyValue,
                content_type="application/json" if data is not None else EmptyValue,
                always_hash_content=data is not None,
                nonce=nonce,
                _timestamp=ts,
            )
            headers["Authorization"] = sender.request_header
        if content_type is not None:
            headers["Content-Type"] = content_type
        if tamper and data is not None:
            data = data.replace(b"}", b', "extra": 1}')
        async with self.http.request(method, url, data=data, headers=headers) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text else None)

    async def login(self, email: str, password: str = PASSWORD, keys: bool = True) -> Any:
        auth_pw, _ = client_stretch(email, password)
        status, answer = await self.call(
            "POST",
            "/v1/account/login" + ("?keys=true" if keys else ""),
            {"email": email, "authPW": auth_pw.hex(), "verificationMethod": "email-otp"},
        )
        assert status == 200, answer
        return answer


@pytest.fixture
async def client(stack):
    async with aiohttp.ClientSession() as http:
        yield Client(http, stack.url)


def assert_error(status: int, body: Any, http_status: int, errno: int) -> None:
    assert status == http_status, body
    assert body["code"] == http_status and body["errno"] == errno
    assert isinstance(body["error"], str) and isinstance(body["message"], str)


async def test_hawk_is_verified(stack, client):
    stack.fxa.create_account("a@example.org", PASSWORD)
    session = (await client.login("a@example.org"))["sessionToken"]
    status, body = await client.call("GET", "/v1/session/status", token=session)
    assert status == 200 and body["state"] == "unverified"
    # Firefox signs body-less GETs without a payload hash but with a Content-Type.
    status, body = await client.call(
        "GET", "/v1/session/status", token=session, content_type="text/plain"
    )
    assert status == 200

    assert_error(
        *await client.call("GET", "/v1/session/status", token=session, key=b"k" * 32), 401, 109
    )
    assert_error(
        *await client.call("POST", "/v1/session/resend_code", {}, token=session, tamper=True),
        401,
        109,
    )
    assert_error(*await client.call("GET", "/v1/session/status", token="00" * 32), 401, 110)
    status, body = await client.call(
        "GET", "/v1/session/status", token=session, ts=int(time.time()) - 120
    )
    assert_error(status, body, 401, 111)
    assert abs(body["serverTime"] - time.time()) < 5
    await client.call("GET", "/v1/session/status", token=session, nonce="n1", ts=int(time.time()))
    replay = await client.call(
        "GET", "/v1/session/status", token=session, nonce="n1", ts=int(time.time())
    )
    assert_error(*replay, 401, 109)


async def test_keys_wait_for_confirmation_and_are_released_once(stack, client):
    stack.fxa.create_account("b@example.org", PASSWORD)
    login = await client.login("b@example.org")
    assert login["verified"] is False and login["verificationMethod"] == "email-otp"
    kft, session = login["keyFetchToken"], login["sessionToken"]
    assert_error(
        *await client.call("GET", "/v1/account/keys", token=kft, kind="keyFetchToken"), 400, 104
    )
    assert_error(
        *await client.call(
            "POST",
            "/v1/account/scoped-key-data",
            {"client_id": "5882386c6d801776", "scope": OLDSYNC},
            token=session,
        ),
        400,
        104,
    )
    assert_error(
        *await client.call("POST", "/v1/session/verify_code", {"code": "000000"}, token=session),
        400,
        183,
    )
    code = stack.fxa.last_code("b@example.org")
    assert (await client.call("POST", "/v1/session/verify_code", {"code": code}, token=session))[
        0
    ] == 200
    status, body = await client.call("GET", "/v1/account/keys", token=kft, kind="keyFetchToken")
    assert status == 200 and len(body["bundle"]) == 192
    assert_error(
        *await client.call("GET", "/v1/account/keys", token=kft, kind="keyFetchToken"), 401, 110
    )


async def test_login_errors(stack, client):
    stack.fxa.create_account("Cee@Example.org", PASSWORD)
    auth_pw, _ = client_stretch("cee@example.org", PASSWORD)
    status, body = await client.call(
        "POST", "/v1/account/login", {"email": "cee@example.org", "authPW": auth_pw.hex()}
    )
    assert_error(status, body, 400, 120)
    assert body["email"] == "Cee@Example.org"
    assert_error(
        *await client.call(
            "POST", "/v1/account/login", {"email": "nobody@example.org", "authPW": "00" * 32}
        ),
        400,
        102,
    )
    assert_error(
        *await client.call("POST", "/v1/account/login", {"email": "cee@example.org"}), 400, 108
    )
    assert (await client.login("Cee@Example.org", keys=False)).get("keyFetchToken") is None


async def test_oauth_grants_and_the_documents_firefox_reads(stack, client):
    account = stack.fxa.create_account("d@example.org", PASSWORD, verification="none")
    session = (await client.login("d@example.org"))["sessionToken"]
    status, tokens = await client.call(
        "POST",
        "/v1/oauth/token",
        {
            "grant_type": "fxa-credentials",
            "client_id": "5882386c6d801776",
            "scope": f"{OLDSYNC} profile",
            "access_type": "offline",
        },
        token=session,
    )
    assert status == 200 and tokens["token_type"] == "bearer" and tokens["expires_in"] == 3600
    verified = await stack.fxa.verify_access_token(tokens["access_token"])
    assert verified is not None and verified.uid == account.uid
    assert verified.keys_changed_at == account.key_rotation_timestamp > 0

    async with client.http.get(
        f"{stack.url}/profile/v1/profile",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ) as response:
        assert response.status == 200
        assert (await response.json())["email"] == "d@example.org"

    narrower = {
        "grant_type": "refresh_token",
        "client_id": "5882386c6d801776",
        "refresh_token": tokens["refresh_token"],
        "scope": OLDSYNC,
    }
    status, refreshed = await client.call("POST", "/oauth/v1/token", narrower)
    assert status == 200 and refreshed["scope"] == OLDSYNC and "refresh_token" not in refreshed
    wider = dict(narrower, scope=f"{OLDSYNC} profile:email https://example.org/other")
    assert_error(*await client.call("POST", "/v1/oauth/token", wider), 400, 163)
    status, body = await client.call(
        "POST", "/v1/oauth/verify", {"token": refreshed["access_token"]}
    )
    assert status == 200 and body["user"] == account.uid and body["scope"] == [OLDSYNC]

    await client.call(
        "POST",
        "/v1/oauth/destroy",
        {"client_id": "5882386c6d801776", "token": tokens["refresh_token"]},
    )
    assert await stack.fxa.verify_access_token(refreshed["access_token"]) is None
    assert_error(*await client.call("POST", "/v1/oauth/token", narrower), 401, 110)

    async with client.http.get(f"{stack.url}/.well-known/fxa-client-configuration") as response:
        document = await response.json()
    assert document["auth_server_base_url"] == stack.url
    assert document["sync_tokenserver_base_url"] == f"{stack.url}/token"


async def test_devices(stack, client):
    stack.fxa.create_account("e@example.org", PASSWORD, verification="none")
    session = (await client.login("e@example.org"))["sessionToken"]
    status, device = await client.call(
        "POST", "/v1/account/device", {"name": "Chrome on test", "type": "desktop"}, token=session
    )
    assert status == 200 and len(device["id"]) == 32
    status, body = await client.call(
        "POST", "/v1/account/device", {"name": "again", "type": "desktop"}, token=session
    )
    assert_error(status, body, 400, 124)
    assert body["deviceId"] == device["id"]
    assert_error(
        *await client.call(
            "POST",
            "/v1/account/device",
            {"id": device["id"], "name": "x", "type": "toaster"},
            token=session,
        ),
        400,
        107,
    )
    status, devices = await client.call("GET", "/v1/account/devices", token=session)
    assert [(d["id"], d["isCurrentDevice"]) for d in devices] == [(device["id"], True)]
    status, clients = await client.call("GET", "/v1/account/attached_clients", token=session)
    assert status == 200 and clients[0]["deviceId"] == device["id"]
    assert (
        await client.call(
            "POST", "/v1/account/devices/notify", {"to": "all", "payload": {}}, token=session
        )
    )[0] == 200
    assert stack.fxa.disconnect_device(device["id"])
    assert_error(*await client.call("GET", "/v1/account/devices", token=session), 401, 110)


async def test_http_test_controls(stack, client):
    async with client.http.post(
        f"{stack.url}/__stack__/accounts", json={"email": "f@example.org", "password": PASSWORD}
    ) as r:
        created = await r.json()
    await client.login("f@example.org")
    async with client.http.get(f"{stack.url}/__stack__/mailbox?email=F@example.org") as r:
        messages = (await r.json())["messages"]
    assert messages[-1]["code"] == stack.fxa.last_code("f@example.org")
    token = stack.fxa.issue_access_token(created["uid"])
    async with client.http.post(f"{stack.url}/__stack__/expire-access-tokens", json={}) as r:
        assert (await r.json())["expired"] == 1
    assert await stack.fxa.verify_access_token(token) is None
    assert "kB" not in repr(stack.fxa.state.accounts[created["uid"]])


async def test_a_verified_session_for_a_password_less_client(stack, client):
    stack.fxa.create_account("g@example.org", PASSWORD)
    async with client.http.post(
        f"{stack.url}/__stack__/sessions", json={"email": "g@example.org"}
    ) as response:
        session = (await response.json())["sessionToken"]
    status, body = await client.call("GET", "/v1/session/status", token=session)
    assert status == 200 and body["state"] == "verified"
