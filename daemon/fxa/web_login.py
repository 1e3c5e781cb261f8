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
import logging
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import aiohttp

from daemon.errors import AuthError, FoxbridgeError
from daemon.fxa import secrets, wire
from daemon.fxa.account import (  # refuse_if_signed_in: also for the daemon
    Account,
    refuse_if_signed_in,
    store_account,
)
from daemon.fxa.client import FxaClient
from daemon.fxa.credentials import SyncKey
from daemon.fxa.errors import (
    AccountServerError,
)
from daemon.fxa.scoped_keys import OLDSYNC_SCOPE, WebSignInFlow
from daemon.fxa.servers import ServerConfig
from daemon.paths import Paths

log = logging.getLogger(__name__)

FLOW_LIFETIME = 15 * 60  # seconds; as long as Firefox waits for a pairing flow
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
    client = FxaClient(http, servers)
    tokens = await _redeem_code(client, pending.flow, code)
    try:
        sync_key = pending.flow.decrypt_sync_key(tokens.keys_jwe)
        profile = await client.profile(tokens.access_token)
        if login_hint is not None and login_hint.uid != profile.uid:
            raise WebSignInRefusedError(
                "The account page reported a different account than the one that signed "
                "in; nothing was saved. Please try again."
            )
        device = await client.register_device(None, device_name, refresh_token=tokens.refresh_token)
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


def key_rotation_timestamp(sync_key: SyncKey) -> int:
    """The key id starts with the key's rotation time in ms (validated on decryption)."""
    return int(sync_key.kid.split("-", 1)[0])


# -- redeeming the code ---------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class CodeGrant:
    access_token: str
    refresh_token: str
    keys_jwe: str
    scope: tuple[str, ...]

    def __repr__(self) -> str:
        return f"CodeGrant(scope={self.scope!r})"


async def _redeem_code(client: FxaClient, flow: WebSignInFlow, code: str) -> CodeGrant:
    try:
        answer = await client.oauth_token_with_code(code, flow.verifier)
    except AccountServerError as error:
        if error.errno in STALE_CODE_ERRNOS:
            raise WebSignInExpiredError() from None
        raise
    tokens = wire.OAuthTokens.parse(answer, want_refresh=True)
    if OLDSYNC_SCOPE not in tokens.scope:
        raise AuthError("The account server did not grant access to Sync; please try again.")
    assert tokens.refresh_token is not None
    return CodeGrant(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        keys_jwe=wire.string(wire.obj(answer, "OAuth token answer"), "keys_jwe", max_length=16384),
        scope=tokens.scope,
    )
