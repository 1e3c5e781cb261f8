"""The sign-in page double's API and the authorization_code grant, over real HTTP."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from daemon.fxa.scoped_keys import WebSignInFlow

CLIENT_ID = "5882386c6d801776"


async def _post(stack: Any, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.post(f"{stack.url}{path}", json=body) as r:
        return r.status, await r.json()


async def _code_for(stack: Any, flow: WebSignInFlow, *, email: str = "ann@example.org") -> str:
    stack.fxa.create_account(email, "pw", verification="email-otp")
    status, session = await _post(stack, "/signin/api/login", {"email": email, "password": "pw"})
    assert status == 200 and session["verified"] is False
    code = stack.fxa.last_code(email)
    token = session["sessionToken"]
    status, _ = await _post(stack, "/signin/api/verify", {"session_token": token, "code": code})
    assert status == 200
    params = flow.authorization_params(CLIENT_ID)
    params["session_token"] = token
    status, grant = await _post(stack, "/signin/api/authorize", params)
    assert status == 200, grant
    assert grant["state"] == flow.state
    return grant["code"]


async def test_code_exchange_delivers_the_sync_key_encrypted_to_the_flow(stack: Any) -> None:
    flow = WebSignInFlow()
    code = await _code_for(stack, flow)
    body = {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "code": code,
        "code_verifier": flow.verifier,
    }
    status, tokens = await _post(stack, "/v1/oauth/token", body)
    assert status == 200, tokens
    assert tokens["refresh_token"] and tokens["access_token"]
    account = stack.fxa.state.account_by_email("ann@example.org")
    key = flow.decrypt_sync_key(tokens["keys_jwe"])
    assert key.ksync == account.ksync and key.kid == account.kid
    # Codes are single use.
    status, error = await _post(stack, "/v1/oauth/token", body)
    assert (status, error["errno"]) == (400, 172)


@pytest.mark.parametrize(
    ("change", "errno"),
    [({"code_verifier": "x" * 43}, 175), ({"client_id": "a2270f727f45f648"}, 173)],
)
async def test_code_exchange_checks_pkce_and_client(
    stack: Any, change: dict[str, str], errno: int
) -> None:
    flow = WebSignInFlow()
    code = await _code_for(stack, flow)
    body = {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "code": code,
        "code_verifier": flow.verifier,
        **change,
    }
    status, error = await _post(stack, "/v1/oauth/token", body)
    assert (status, error["errno"]) == (400, errno)


async def test_authorization_needs_a_verified_session(stack: Any) -> None:
    stack.fxa.create_account("bo@example.org", "pw", verification="email-otp")
    _, session = await _post(
        stack, "/signin/api/login", {"email": "bo@example.org", "password": "pw"}
    )
    params = WebSignInFlow().authorization_params(CLIENT_ID)
    params["session_token"] = session["sessionToken"]
    status, error = await _post(stack, "/signin/api/authorize", params)
    assert (status, error["errno"]) == (400, 138)


async def test_page_is_served_only_in_the_webchannel_context(stack: Any) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{stack.url}/?context=oauth_webchannel_v1") as r:
            assert 'id="knobs"' in await r.text()
        async with http.get(f"{stack.url}/") as r:
            assert 'id="knobs"' not in await r.text()
