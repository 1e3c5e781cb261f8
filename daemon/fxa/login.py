"""Signing in with an email and password, for the CLI and the daemon alike.

``login_with_password`` either finishes the sign-in (returns the ``Account``) or stops
because the server wants a confirmation code (returns ``CodeRequired``). In that case
the half-done sign-in is kept in the keyring, and calling again with ``code=`` finishes
that very sign-in: the same session for an email or TOTP code, a repeated login with the
stretched password for an unblock code. The password itself is never stored.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from dataclasses import dataclass
from typing import Literal

import aiohttp

from daemon.errors import AuthError, FoxbridgeError
from daemon.fxa import crypto, secrets, wire
from daemon.fxa.account import Account, refuse_if_signed_in, store_account
from daemon.fxa.client import OLDSYNC_SCOPE, FxaClient, SignIn
from daemon.fxa.errors import (
    InvalidCodeError,
    MalformedResponseError,
    RequestBlockedError,
)
from daemon.fxa.servers import ServerConfig
from daemon.paths import Paths

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CodeRequired:
    kind: Literal["email", "totp", "unblock"]

    @property
    def explanation(self) -> str:
        return {
            "email": "A confirmation code was sent to your email address.",
            "totp": "Enter the code from your authenticator app (two-step authentication).",
            "unblock": "The sign-in was blocked for security reasons; an unblock code was "
            "sent to your email address.",
        }[self.kind]


def default_device_name() -> str:
    return f"Chrome on {socket.gethostname() or 'this computer'}"


async def login_with_password(
    paths: Paths,
    http: aiohttp.ClientSession,
    *,
    email: str,
    password: str | None,
    servers: ServerConfig,
    code: str | None = None,
    device_name: str | None = None,
) -> Account | CodeRequired:
    """Sign in, or continue the sign-in waiting for ``code``. ``password`` may be None
    only when completing a pending sign-in."""
    refuse_if_signed_in(paths)
    secrets.check_available()  # fail before creating a session on the server
    name = device_name or default_device_name()
    code = code.strip() if code is not None else None
    pending = secrets.load_pending()
    if code is not None and pending is not None and pending.email.lower() == email.lower():
        return await _complete(paths, http, pending, code, name)
    if password is None:
        raise AuthError(
            f"No sign-in for {email} is waiting for a code. "
            "Run 'foxbridge login' without --code first."
        )
    return await _start(paths, FxaClient(http, servers), email, password, code, name)


async def login_with_code(
    paths: Paths, http: aiohttp.ClientSession, *, code: str, device_name: str | None = None
) -> Account | CodeRequired:
    """Finish the sign-in waiting for a code, whoever started it (the daemon's
    ``login.code``, which carries only the code)."""
    refuse_if_signed_in(paths)
    pending = secrets.load_pending()
    if pending is None:
        raise AuthError("No sign-in is waiting for a code. Start by signing in with a password.")
    return await _complete(paths, http, pending, code.strip(), device_name or default_device_name())


def pending_sign_in() -> CodeRequired | None:
    """The kind of code the pending sign-in waits for, if one does (for status displays)."""
    pending = secrets.load_pending()
    return None if pending is None else CodeRequired(pending.kind)


async def _start(
    paths: Paths, client: FxaClient, email: str, password: str, code: str | None, name: str
) -> Account | CodeRequired:
    await _abandon_pending(client.http)
    servers = client.servers.to_dict()
    try:
        sign_in = await client.sign_in(email, password)
    except RequestBlockedError as blocked:
        if not blocked.can_unblock:
            raise
        await client.send_unblock_code(email)
        stretched, version = await client.stretch(email, password)
        secrets.save_pending(
            secrets.PendingSignIn(
                kind="unblock",
                email=email,
                servers=servers,
                unwrap_b_key=stretched.unwrap_b_key,
                auth_pw=stretched.auth_pw,
                stretch_version=version,
            )
        )
        return CodeRequired("unblock")
    result = sign_in.result
    if result.verified:
        return await _finish(paths, client, sign_in, name)
    pending = _pending_confirmation(sign_in, servers)
    secrets.save_pending(pending)
    if code is not None and pending.kind == "totp":
        # An authenticator code given up front is good for this new session too (an email
        # code is not: the server has just sent a new one).
        return await _complete(paths, client.http, pending, code, name)
    return CodeRequired(pending.kind)


async def _abandon_pending(http: aiohttp.ClientSession) -> None:
    """A new sign-in replaces a pending one: end its unconfirmed session on the server."""
    stale = secrets.load_pending()
    if stale is None:
        return
    secrets.delete_pending()
    if stale.session_token:
        client = FxaClient(http, ServerConfig.from_dict(stale.servers))
        with contextlib.suppress(FoxbridgeError):
            await client.destroy_session(stale.session_token)


def _pending_confirmation(sign_in: SignIn, servers: dict[str, str]) -> secrets.PendingSignIn:
    result = sign_in.result
    if result.verification_reason == "change_password":
        raise AuthError(
            "Your account is locked for your protection: set a new password at "
            "accounts.firefox.com, then sign in again."
        )
    if result.key_fetch_token is None:
        raise MalformedResponseError("no key fetch token")
    return secrets.PendingSignIn(
        kind="totp" if result.verification_method == "totp-2fa" else "email",
        email=sign_in.email,
        servers=servers,
        uid=result.uid,
        session_token=result.session_token,
        key_fetch_token=result.key_fetch_token,
        unwrap_b_key=sign_in.unwrap_b_key,
    )


async def _complete(
    paths: Paths,
    http: aiohttp.ClientSession,
    pending: secrets.PendingSignIn,
    code: str,
    name: str,
) -> Account | CodeRequired:
    """Finish the pending sign-in with ``code``. A wrong code keeps it pending."""
    client = FxaClient(http, ServerConfig.from_dict(pending.servers))
    if pending.kind == "unblock":
        stretched = crypto.StretchedPassword(
            auth_pw=pending.auth_pw, unwrap_b_key=pending.unwrap_b_key
        )
        result = await client.login(
            pending.email,
            stretched,
            unblock_code=code.upper(),
            stretch_version=pending.stretch_version,
        )
        sign_in = SignIn(result=result, email=pending.email, unwrap_b_key=pending.unwrap_b_key)
        if result.verified:
            secrets.delete_pending()
            return await _finish(paths, client, sign_in, name)
        follow_up = _pending_confirmation(sign_in, pending.servers)
        secrets.save_pending(follow_up)
        return CodeRequired(follow_up.kind)
    if pending.kind == "totp":
        if not await client.verify_totp(pending.session_token, code):
            raise InvalidCodeError("That two-step authentication code is wrong or expired.")
    else:
        await client.verify_code(pending.session_token, code)
    sign_in = SignIn(
        result=wire.LoginResult(
            uid=pending.uid,
            session_token=pending.session_token,
            key_fetch_token=pending.key_fetch_token,
            verified=True,
            verification_method=None,
            verification_reason=None,
        ),
        email=pending.email,
        unwrap_b_key=pending.unwrap_b_key,
    )
    return await _finish(paths, client, sign_in, name)


async def _finish(paths: Paths, client: FxaClient, sign_in: SignIn, name: str) -> Account:
    """Keys, Sync key id, OAuth tokens and the device record; then save everything."""
    result = sign_in.result
    session = result.session_token
    try:
        if result.key_fetch_token is None:
            raise MalformedResponseError("no key fetch token")
        kb = await client.account_keys(result.key_fetch_token, sign_in.unwrap_b_key)
        key_data = await client.scoped_key_data(session, OLDSYNC_SCOPE)
        if key_data.key_rotation_timestamp <= 0:
            raise MalformedResponseError("no key rotation timestamp for the sync key")
        sync_key = crypto.derive_sync_key(kb, key_data.key_rotation_timestamp)
        tokens = await client.oauth_token_with_session(session, OLDSYNC_SCOPE)
        device = await client.register_device(session, name)
        assert tokens.refresh_token is not None
        account = Account(
            paths=paths,
            email=sign_in.email,
            uid=result.uid,
            device_id=device.id,
            device_name=device.name,
            servers=client.servers,
            key_rotation_timestamp=key_data.key_rotation_timestamp,
        )
        store_account(
            account,
            secrets.AccountSecrets(
                session_token=session,
                refresh_token=tokens.refresh_token,
                ksync=sync_key.ksync,
                kid=sync_key.kid,
            ),
        )
    except Exception:
        # The key-fetch token is spent or the sign-in is unusable: end the session rather
        # than leave a half-registered device on the account.
        secrets.delete_pending()
        with contextlib.suppress(FoxbridgeError):
            await client.destroy_session(session)
        raise
    secrets.delete_pending()
    log.info("signed in as %s", sign_in.email)
    return account
