"""Signing in through the account server's own page, as Firefox does.

``begin`` starts an OAuth authorization-code flow (PKCE and a one-time P-256 key, see
``daemon.fxa.scoped_keys``) and gives the URL of the account page to open in the
browser. The user signs in there — password, codes and any bot challenge are between
the user, the browser and the account server — and the page hands the browser a one-time
code over its WebChannel. ``complete`` redeems that code: an access token, a refresh
token and the sync key encrypted to our one-time key (``keys_jwe``). No password and no
session token ever reach foxbridge on this path.

The result is the same account as after a password sign-in, minus the session token:
refresh token, kSync and its key id in the keyring, a device record (registered with
the refresh token as bearer), ``account.json``.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp

from daemon.errors import AuthError, FoxbridgeError, NotSignedInError
from daemon.fxa import secrets, wire
from daemon.fxa.account import Account, load_account, store_account
from daemon.fxa.client import REQUEST_TIMEOUT, FxaClient, user_agent
from daemon.fxa.credentials import SyncKey
from daemon.fxa.errors import (
    AccountOfflineError,
    AccountServerError,
    DeviceSessionConflictError,
    MalformedResponseError,
    error_for,
)
from daemon.fxa.scoped_keys import OLDSYNC_SCOPE, WebSignInFlow
from daemon.fxa.servers import ServerConfig
from daemon.paths import Paths

log = logging.getLogger(__name__)

FLOW_LIFETIME = 15 * 60  # seconds; as long as Firefox waits for a pairing flow
MAX_ANSWER_BYTES = 256 * 1024
# Errnos of the authorization_code grant: unknown, mismatched, expired code, wrong verifier.
STALE_CODE_ERRNOS = frozenset({172, 173, 174, 175})


class WebSignInExpiredError(AuthError):
    def __init__(self) -> None:
        super().__init__("The sign-in expired or was already used; please try again.")


class WebSignInRefusedError(AuthError):
    """The page's answer does not belong to the sign-in we started."""


@dataclass(frozen=True)
class LoginHint:
    """What the page said about the account in its ``login`` message. Untrusted: it is
    checked against the profile server before anything is stored."""

    uid: str
    email: str


@dataclass(repr=False)
class PendingWebSignIn:
    """A sign-in started with ``begin``: kept in memory only, never written anywhere."""

    servers: ServerConfig
    url: str
    flow: WebSignInFlow = field(repr=False)
    expires_at: float = 0.0  # time.monotonic()

    @property
    def state(self) -> str:
        return self.flow.state

    @property
    def origin(self) -> str:
        """The page's origin: where the browser must accept WebChannel messages from."""
        parts = urlsplit(self.servers.content_url)
        return f"{parts.scheme}://{parts.netloc}"

    def expired(self, now: float | None = None) -> bool:
        return (time.monotonic() if now is None else now) >= self.expires_at

    def __repr__(self) -> str:
        return f"PendingWebSignIn(origin={self.origin!r})"


def begin(servers: ServerConfig, *, now: float | None = None) -> PendingWebSignIn:
    """A new flow and the account page's URL for it (on the server's content origin)."""
    flow = WebSignInFlow()
    query = urlencode(flow.authorization_params(servers.client_id))
    url = f"{servers.content_url}/?{query}"
    started = time.monotonic() if now is None else now
    return PendingWebSignIn(servers=servers, url=url, flow=flow, expires_at=started + FLOW_LIFETIME)


async def complete(
    paths: Paths,
    http: aiohttp.ClientSession,
    pending: PendingWebSignIn,
    *,
    code: str,
    state: str,
    login_hint: LoginHint | None,
    device_name: str,
) -> Account:
    """Redeem the page's code, check who signed in, store the account."""
    if not hmac.compare_digest(pending.state.encode(), state.encode()):
        raise WebSignInRefusedError(
            "The account page answered for another sign-in; nothing was changed."
        )
    if pending.expired():
        raise WebSignInExpiredError()
    refuse_if_signed_in(paths)
    servers = pending.servers
    tokens = await _redeem_code(http, servers, pending.flow, code)
    client = FxaClient(http, servers)
    try:
        sync_key = pending.flow.decrypt_sync_key(tokens.keys_jwe)
        profile = await _profile(http, servers, tokens.access_token)
        if login_hint is not None and login_hint.uid != profile.uid:
            raise WebSignInRefusedError(
                "The account page reported a different account than the one that signed "
                "in; nothing was saved. Please try again."
            )
        device = await _register_device(http, servers, tokens.refresh_token, device_name)
        account = Account(
            paths=paths,
            email=profile.email,
            uid=profile.uid,
            device_id=device.id,
            device_name=device.name,
            servers=servers,
            key_rotation_timestamp=key_rotation_timestamp(sync_key),
        )
        store_account(
            account,
            secrets.AccountSecrets(
                session_token=None,
                refresh_token=tokens.refresh_token,
                ksync=sync_key.ksync,
                kid=sync_key.kid,
            ),
        )
    except BaseException:
        # Do not leave a grant (and maybe a device) on the account that nobody holds.
        with contextlib.suppress(FoxbridgeError):
            await client.destroy_oauth_token(tokens.refresh_token)
        raise
    # The first access token carries the profile scope too; it is not needed any more.
    with contextlib.suppress(FoxbridgeError):
        await client.destroy_oauth_token(tokens.access_token)
    log.info("signed in as %s through the account page", profile.email)
    return account


def refuse_if_signed_in(paths: Paths) -> None:
    try:
        current = load_account(paths)
    except NotSignedInError:
        return
    raise AuthError(f"Already signed in as {current.email}. Sign out first to switch accounts.")


def key_rotation_timestamp(sync_key: SyncKey) -> int:
    """The key id starts with the key's rotation time in ms (validated on decryption)."""
    return int(sync_key.kid.split("-", 1)[0])


# -- the three HTTP calls of this flow ------------------------------------------------------


@dataclass(frozen=True, repr=False)
class CodeGrant:
    access_token: str
    refresh_token: str
    keys_jwe: str
    scope: tuple[str, ...]

    def __repr__(self) -> str:
        return f"CodeGrant(scope={self.scope!r})"


@dataclass(frozen=True)
class Profile:
    uid: str
    email: str


async def _redeem_code(
    http: aiohttp.ClientSession, servers: ServerConfig, flow: WebSignInFlow, code: str
) -> CodeGrant:
    body = {
        "grant_type": "authorization_code",
        "client_id": servers.client_id,
        "code": code,
        "code_verifier": flow.verifier,
    }
    try:
        answer = await _call(http, "POST", servers.auth_url + "/oauth/token", body=body)
    except AccountServerError as error:
        if error.errno in STALE_CODE_ERRNOS:
            raise WebSignInExpiredError() from None
        raise
    data = wire.obj(answer, "OAuth token answer")
    if str(data.get("token_type", "bearer")).lower() != "bearer":
        raise MalformedResponseError("'token_type' is not bearer")
    scope = tuple(wire.string(data, "scope").split())
    if OLDSYNC_SCOPE not in scope:
        raise AuthError("The account server did not grant access to Sync; please try again.")
    if not isinstance(data.get("refresh_token"), str):
        raise MalformedResponseError("no refresh token")
    if not isinstance(data.get("keys_jwe"), str):
        raise MalformedResponseError("no encrypted sync key")
    return CodeGrant(
        access_token=wire.string(data, "access_token", max_length=8192),
        refresh_token=wire.hex_bytes(data, "refresh_token", 32).hex(),
        keys_jwe=wire.string(data, "keys_jwe", max_length=16384),
        scope=scope,
    )


async def _profile(http: aiohttp.ClientSession, servers: ServerConfig, token: str) -> Profile:
    answer = await _call(http, "GET", servers.profile_url + "/profile", bearer=token)
    data = wire.obj(answer, "profile")
    email = wire.string(data, "email", max_length=255)
    if "@" not in email:
        raise MalformedResponseError("'email' is not an address")
    return Profile(uid=wire.uid(data), email=email)


async def _register_device(
    http: aiohttp.ClientSession, servers: ServerConfig, refresh_token: str, name: str
) -> wire.DeviceRecord:
    body = {"name": name, "type": "desktop", "availableCommands": {}}
    url = servers.auth_url + "/account/device"
    try:
        answer = await _call(http, "POST", url, body=body, bearer=refresh_token)
    except DeviceSessionConflictError as conflict:
        answer = await _call(
            http, "POST", url, body={**body, "id": conflict.device_id}, bearer=refresh_token
        )
    return wire.DeviceRecord.parse(answer)


async def _call(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    body: dict[str, Any] | None = None,
    bearer: str | None = None,
) -> Any:
    """One JSON request without Hawk; error answers become ``FoxbridgeError``s."""
    headers = {"User-Agent": user_agent(), "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    host = urlsplit(url).hostname
    try:
        async with http.request(
            method, url, data=data, headers=headers, timeout=REQUEST_TIMEOUT
        ) as response:
            raw = await response.content.read(MAX_ANSWER_BYTES + 1)
            status, response_headers = response.status, dict(response.headers)
    except (TimeoutError, aiohttp.ClientError) as error:
        raise AccountOfflineError(
            f"Cannot reach the account server at {host} ({type(error).__name__})."
        ) from error
    if len(raw) > MAX_ANSWER_BYTES:
        raise MalformedResponseError("the answer is too large")
    try:
        answer = json.loads(raw) if raw else None
    except ValueError:
        if status == 200:
            raise MalformedResponseError("not JSON") from None
        answer = None
    if status == 200:
        return answer
    raise error_for(status, answer, response_headers)
