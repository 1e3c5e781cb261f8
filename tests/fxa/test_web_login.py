"""Signing in through the account page: the code exchange and what gets stored, against the
stack over real HTTP (the page's own API stands in for the user typing into the page)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from daemon.errors import AuthError
from daemon.fxa import secrets
from daemon.fxa.account import load_account
from daemon.fxa.errors import BotProtectionError, ClientDisabledError
from daemon.fxa.servers import MOZILLA, ServerConfig, ServerConfigError
from daemon.fxa.web_login import (
    FLOW_LIFETIME,
    LoginHint,
    PendingWebSignIn,
    WebSignInExpiredError,
    WebSignInRefusedError,
    begin,
    complete,
)
from fxstack.fxa.state import StackAccount
from tests.fxa.conftest import PASSWORD

EMAIL = "web@example.org"


async def _post(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> dict[str, Any]:
    async with http.post(url, json=body) as response:
        answer = await response.json()
        assert response.status == 200, answer
        return answer


async def page_sign_in(
    stack: Any, http: aiohttp.ClientSession, pending: PendingWebSignIn, email: str = EMAIL
) -> str:
    """What the page does for a user who types the password and the emailed code: returns
    the one-time code the page would send in its ``oauth_login`` message."""
    session = await _post(
        http, f"{stack.url}/signin/api/login", {"email": email, "password": PASSWORD}
    )
    token = session["sessionToken"]
    if not session["verified"]:
        code = stack.fxa.last_code(email)
        await _post(http, f"{stack.url}/signin/api/verify", {"session_token": token, "code": code})
    params = pending.flow.authorization_params(pending.servers.client_id)
    grant = await _post(
        http, f"{stack.url}/signin/api/authorize", {**params, "session_token": token}
    )
    return grant["code"]


@pytest.fixture
def stack_account(stack: Any) -> StackAccount:
    return stack.fxa.create_account(EMAIL, PASSWORD, verification="email-otp")


def hint(account: StackAccount) -> LoginHint:
    return LoginHint(uid=account.uid, email=account.email)


async def test_the_page_code_signs_in_without_a_password_or_session(
    stack, http, servers, paths, memory_keyring, stack_account, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    pending = begin(servers)
    code = await page_sign_in(stack, http, pending)

    account = await complete(
        paths,
        http,
        pending,
        code=code,
        state=pending.state,
        login_hint=hint(stack_account),
        device_name="Chrome on test",
    )

    assert (account.uid, account.email) == (stack_account.uid, stack_account.email)
    assert account.key_rotation_timestamp == stack_account.key_rotation_timestamp
    assert load_account(paths) == account
    stored = secrets.load_account(account.uid)
    assert stored is not None and stored.session_token is None
    assert (stored.ksync, stored.kid) == (stack_account.ksync, stack_account.kid)
    device = stack.fxa.state.devices[account.device_id]
    assert (device.name, device.type) == ("Chrome on test", "desktop")
    # The refresh token is good for Sync: the account mints a tokenserver access token.
    credentials = account.credentials(http)
    assert await credentials.access_token()
    # Nothing secret reached the log or account.json.
    written = paths.account_file.read_text()
    for secret in (stored.refresh_token, code, pending.flow.verifier):
        assert secret not in caplog.text and secret not in written


async def test_the_url_is_on_the_content_origin_with_the_flow_parameters(servers) -> None:
    pending = begin(servers)
    assert pending.url.startswith(servers.content_url + "/?context=oauth_webchannel_v1&")
    assert pending.origin == servers.content_url
    assert f"state={pending.state}" in pending.url
    assert "code_challenge_method=S256" in pending.url and "keys_jwk=" in pending.url
    assert pending.flow.verifier not in pending.url
    assert "client_id=5882386c6d801776" in pending.url
    assert pending.state not in repr(pending)


def test_mozilla_uses_firefox_desktops_client_and_self_hosters_can_set_theirs() -> None:
    assert MOZILLA.client_id == "5882386c6d801776"
    assert "client_id=5882386c6d801776" in begin(MOZILLA).url
    own = replace(MOZILLA, client_id="0123456789abcdef")
    assert "client_id=0123456789abcdef" in begin(own).url
    assert ServerConfig.from_dict(own.to_dict()).client_id == "0123456789abcdef"
    with pytest.raises(ServerConfigError):
        replace(MOZILLA, client_id="not an id")


async def test_a_wrong_state_is_refused_before_any_request(
    stack, http, servers, paths, memory_keyring, stack_account
) -> None:
    pending = begin(servers)
    code = await page_sign_in(stack, http, pending)
    with pytest.raises(WebSignInRefusedError):
        await complete(
            paths, http, pending, code=code, state="x" * 22, login_hint=None, device_name="d"
        )
    assert not paths.account_file.exists()
    # The code was not spent: the right state still completes.
    await complete(
        paths, http, pending, code=code, state=pending.state, login_hint=None, device_name="d"
    )


async def test_a_reused_code_says_the_sign_in_expired(
    stack, http, servers, paths, memory_keyring, stack_account
) -> None:
    pending = begin(servers)
    code = await page_sign_in(stack, http, pending)
    await complete(
        paths, http, pending, code=code, state=pending.state, login_hint=None, device_name="d"
    )
    load_account(paths).forget()
    with pytest.raises(WebSignInExpiredError, match="expired or was already used"):
        await complete(
            paths, http, pending, code=code, state=pending.state, login_hint=None, device_name="d"
        )


async def test_a_code_for_another_flows_challenge_is_refused(
    stack, http, servers, paths, memory_keyring, stack_account
) -> None:
    pending, other = begin(servers), begin(servers)
    code = await page_sign_in(stack, http, other)  # the page got the other flow's challenge
    with pytest.raises(WebSignInExpiredError):
        await complete(
            paths, http, pending, code=code, state=pending.state, login_hint=None, device_name="d"
        )
    assert not paths.account_file.exists()


async def test_an_expired_flow_is_refused(
    stack, http, servers, paths, memory_keyring, stack_account
) -> None:
    pending = begin(servers, now=0.0)
    assert pending.expired(FLOW_LIFETIME - 1) is False
    code = await page_sign_in(stack, http, pending)
    with pytest.raises(WebSignInExpiredError):
        await complete(
            paths, http, pending, code=code, state=pending.state, login_hint=None, device_name="d"
        )


async def test_tampered_keys_are_refused_and_the_grant_given_back(
    stack, http, servers, paths, memory_keyring, stack_account
) -> None:
    pending = begin(servers)
    code = await page_sign_in(stack, http, pending)
    grant = stack.signin.codes[code]
    header, empty, iv, ciphertext, tag = grant.keys_jwe.split(".")
    flipped = ("A" if ciphertext[0] != "A" else "B") + ciphertext[1:]
    grant.keys_jwe = ".".join((header, empty, iv, flipped, tag))
    with pytest.raises(AuthError, match="unusable keys"):
        await complete(
            paths, http, pending, code=code, state=pending.state, login_hint=None, device_name="d"
        )
    assert not paths.account_file.exists()
    assert secrets.load_account(stack_account.uid) is None
    assert not [t for t in stack.fxa.state.refresh_tokens.values() if t.uid == stack_account.uid]


async def test_a_page_hint_for_another_account_is_refused(
    stack, http, servers, paths, memory_keyring, stack_account
) -> None:
    pending = begin(servers)
    code = await page_sign_in(stack, http, pending)
    stranger = LoginHint(uid="0" * 32, email=EMAIL)
    with pytest.raises(WebSignInRefusedError, match="different account"):
        await complete(
            paths,
            http,
            pending,
            code=code,
            state=pending.state,
            login_hint=stranger,
            device_name="d",
        )
    assert not paths.account_file.exists()
    assert not [t for t in stack.fxa.state.refresh_tokens.values() if t.uid == stack_account.uid]
    assert not [d for d in stack.fxa.state.devices.values() if d.uid == stack_account.uid]


async def test_the_profile_spelling_of_the_email_wins_over_the_page(
    stack, http, servers, paths, memory_keyring, stack_account
) -> None:
    pending = begin(servers)
    code = await page_sign_in(stack, http, pending)
    shouted = LoginHint(uid=stack_account.uid, email=EMAIL.upper())
    account = await complete(
        paths, http, pending, code=code, state=pending.state, login_hint=shouted, device_name="d"
    )
    assert account.email == EMAIL


async def test_already_signed_in_is_refused(
    stack, http, servers, paths, memory_keyring, stack_account
) -> None:
    pending = begin(servers)
    code = await page_sign_in(stack, http, pending)
    await complete(
        paths, http, pending, code=code, state=pending.state, login_hint=None, device_name="d"
    )
    again = begin(servers)
    code = await page_sign_in(stack, http, again)
    with pytest.raises(AuthError, match="Already signed in"):
        await complete(
            paths, http, again, code=code, state=again.state, login_hint=None, device_name="d"
        )


@pytest.mark.parametrize(
    ("knob", "error", "message"),
    [
        ("token_406", BotProtectionError, "bot protection"),
        ("disabled_client", ClientDisabledError, "no longer accepts"),
    ],
)
async def test_refusals_of_the_token_endpoint_are_explained(
    stack, http, servers, paths, memory_keyring, stack_account, knob, error, message
) -> None:
    pending = begin(servers)
    code = await page_sign_in(stack, http, pending)
    stack.signin.set_knobs(**{knob: True})
    with pytest.raises(error, match=message):
        await complete(
            paths, http, pending, code=code, state=pending.state, login_hint=None, device_name="d"
        )
    assert not paths.account_file.exists()


async def test_the_oauth_servers_disabled_client_answer_is_explained_too(
    aiohttp_server, http, paths, memory_keyring
) -> None:
    """The older OAuth server names the error instead of giving errno 204."""
    from aiohttp import web

    async def token(request: web.Request) -> web.Response:
        return web.json_response({"code": 400, "errno": 999, "error": "disabledClient"}, status=400)

    app = web.Application()
    app.router.add_post("/v1/oauth/token", token)
    server = await aiohttp_server(app)
    base = str(server.make_url("")).rstrip("/")
    servers = ServerConfig(
        content_url=base,
        auth_url=base + "/v1",
        oauth_url=base + "/v1",
        profile_url=base + "/v1",
        token_server_url=base + "/1.0/sync/1.5",
    )
    pending = begin(servers)
    with pytest.raises(ClientDisabledError):
        await complete(
            paths,
            http,
            pending,
            code="0" * 64,
            state=pending.state,
            login_hint=None,
            device_name="d",
        )
