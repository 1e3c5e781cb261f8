"""``FxaServer``: the accounts server double's state, test controls and request helpers.

The HTTP routes live in the ``routes_*`` modules; each is a thin layer that validates the
request, calls into ``FxaState`` and shapes the answer the way the real server does.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from fxstack.faults import Faults
from fxstack.fxa import crypto, errors, hawk
from fxstack.fxa.state import (
    FIREFOX_DESKTOP_CLIENT_ID,
    OLDSYNC,
    FxaState,
    KeyFetchToken,
    SessionToken,
    StackAccount,
    Verification,
    VerifiedToken,
)

HEX64 = re.compile(r"^[0-9a-f]{64}$")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
EMAIL_CODE_STEP = 600  # seconds; sign-in codes are valid for this step and the previous one


class FxaServer:
    def __init__(self, *, faults: Faults) -> None:
        self.state = FxaState()
        self.faults = faults
        self.nonces = hawk.NonceCache()
        # The authorization_code grant, provided by the sign-in page double when present.
        self.code_grant: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    # Test controls (also reachable over HTTP under /__stack__/)

    def create_account(
        self,
        email: str,
        password: str,
        *,
        verification: Verification = "email-otp",
        totp_secret: str | None = None,
        key_rotation_timestamp: int | None = None,
        key_stretch_v2: bool = False,
    ) -> StackAccount:
        """Create a verified account, doing the client's stretching here (a test control).
        ``key_stretch_v2`` gives it V2 credentials too, like accounts the web UI upgraded."""
        if self.state.account_by_email(email) is not None:
            raise ValueError(f"an account for {email} exists already")
        if verification not in ("email-otp", "totp", "none"):
            raise ValueError(f"unknown verification mode {verification!r}")
        if verification == "totp" and not totp_secret:
            raise ValueError("a TOTP account needs totp_secret")
        auth_pw, unwrap_b_key = crypto.client_stretch(email, password)
        kb = secrets.token_bytes(32)
        salt = secrets.token_bytes(32)
        now_ms = int(self.state.now() * 1000)
        account = StackAccount(
            uid=secrets.token_hex(16),
            email=email,
            auth_salt=salt,
            verify_hash=crypto.verify_hash(auth_pw, salt),
            ka=secrets.token_bytes(32),
            wrap_kb=bytes(a ^ b for a, b in zip(kb, unwrap_b_key, strict=True)),
            kB=kb,
            verification=verification,
            totp_secret=totp_secret,
            key_rotation_timestamp=key_rotation_timestamp or now_ms,
            key_rotation_secret=secrets.token_bytes(32),
            generation=now_ms,
        )
        if key_stretch_v2:
            account.client_salt = crypto.new_client_salt()
            auth_pw_v2, unwrap_v2 = crypto.client_stretch_v2(password, account.client_salt)
            account.verify_hash_v2 = crypto.verify_hash(auth_pw_v2, salt)
            account.wrap_kb_v2 = bytes(a ^ b for a, b in zip(kb, unwrap_v2, strict=True))
        if account.key_rotation_timestamp <= 0:
            raise ValueError("key_rotation_timestamp must be positive (milliseconds)")
        self.state.accounts[account.uid] = account
        return account

    def reset_password(self, email: str, new_password: str) -> StackAccount:
        """What "forgot password" does: a new kB (so a new sync key and key id), and every
        session and OAuth token of the account revoked."""
        old = self._account(email)
        for session_id in [k for k, s in self.state.sessions.items() if s.uid == old.uid]:
            self.state.destroy_session(session_id)
        for token_hash in [h for h, t in self.state.refresh_tokens.items() if t.uid == old.uid]:
            self.state.destroy_refresh_token(token_hash)
        self.state.expire_access_tokens(old.uid)
        del self.state.accounts[old.uid]
        now_ms = int(self.state.now() * 1000)
        fresh = self.create_account(
            old.email,
            new_password,
            verification=old.verification,
            totp_secret=old.totp_secret,
            key_rotation_timestamp=max(now_ms, old.key_rotation_timestamp + 1),
        )
        # Same account, same uid: only the credentials and keys changed.
        del self.state.accounts[fresh.uid]
        fresh.uid = old.uid
        self.state.accounts[old.uid] = fresh
        return fresh

    def new_verified_session(self, email: str) -> str:
        """A confirmed session token (hex) for ``email``, as after a completed sign-in:
        how a test hands an account to a client that signs in without a password (Firefox)."""
        token, _ = self.state.new_session(
            self._account(email), user_agent="test", verified=True, verification_method=None
        )
        return token

    def last_code(self, email: str) -> str:
        """The code in the newest email sent to ``email`` (sign-in or unblock code)."""
        for message in reversed(self.state.mailbox):
            if message.to.lower() == email.lower():
                return message.code
        raise LookupError(f"no email was sent to {email}")

    def block_logins(self, email: str) -> None:
        """Make the next logins of ``email`` fail with errno 125 until an unblock code is used."""
        account = self._account(email)
        account.blocked = True

    def expire_access_tokens(self, uid: str | None = None) -> int:
        return self.state.expire_access_tokens(uid)

    def disconnect_device(self, device_id: str) -> bool:
        return self.state.disconnect_device(device_id)

    def issue_access_token(self, uid: str, scope: str = OLDSYNC, ttl: int = 3600) -> str:
        if uid not in self.state.accounts:
            raise KeyError(uid)
        return self.state.issue_access_token(
            uid, FIREFOX_DESKTOP_CLIENT_ID, tuple(scope.split()), ttl
        )

    async def verify_access_token(self, token: str) -> VerifiedToken | None:
        """What the tokenserver asks: whose token is this, and is it still valid?"""
        access = self.state.find_access_token(token)
        if access is None:
            return None
        account = self.state.accounts[access.uid]
        return VerifiedToken(
            uid=account.uid,
            scope=access.scope,
            generation=account.generation,
            keys_changed_at=account.key_rotation_timestamp,
        )

    def _account(self, email: str) -> StackAccount:
        account = self.state.account_by_email(email)
        if account is None:
            raise KeyError(email)
        return account

    # Sign-in codes: six digits, valid for EMAIL_CODE_STEP twice over (the current and
    # the previous step, as the real server's OTP window allows).

    def send_sign_in_code(self, account: StackAccount, session: SessionToken) -> None:
        now = self.state.now()
        if session.email_code is None or now - session.email_code_sent_at > EMAIL_CODE_STEP:
            session.email_code = f"{secrets.randbelow(10**6):06d}"
            session.email_code_sent_at = now
        self.state.send_email(account.email, "Confirm your sign-in", session.email_code)

    def email_code_matches(self, session: SessionToken, code: str) -> bool:
        if session.email_code is None:
            return False
        if self.state.now() - session.email_code_sent_at > 2 * EMAIL_CODE_STEP:
            return False
        return secrets.compare_digest(session.email_code, code)

    # Request helpers

    async def json_body(self, request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except ValueError as error:
            raise errors.FxaHttpError(400, 106, "Invalid JSON in request body") from error
        if not isinstance(body, dict):
            raise errors.FxaHttpError(400, 106, "Invalid JSON in request body")
        return body

    async def session_from(
        self, request: web.Request, *, verified: bool = False
    ) -> tuple[SessionToken, dict[str, Any]]:
        """The Hawk-authenticated session of ``request`` and its JSON body."""
        token_id = hawk.token_id_of(request)
        session = self.state.sessions.get(token_id)
        if session is None:
            raise errors.invalid_token()
        body = await request.read()
        hawk.verify(
            request,
            body,
            session.hawk_key,
            now=self.state.now(),
            clock_offset=self.state.clock_offset,
            nonces=self.nonces,
        )
        if verified and not session.verified:
            raise errors.unverified_session()
        session.last_access = self.state.now()
        return session, await self.json_body(request)

    async def key_fetch_token_from(self, request: web.Request) -> KeyFetchToken:
        token_id = hawk.token_id_of(request)
        token = self.state.key_fetch_tokens.get(token_id)
        if token is None:
            raise errors.invalid_token()
        hawk.verify(
            request,
            await request.read(),
            token.hawk_key,
            now=self.state.now(),
            clock_offset=self.state.clock_offset,
            nonces=self.nonces,
        )
        return token

    def account_of(self, uid: str) -> StackAccount:
        account = self.state.accounts.get(uid)
        if account is None:
            raise errors.invalid_token()
        return account


def ok(data: Any = None, *, status: int = 200) -> web.Response:
    return web.json_response({} if data is None else data, status=status)


def fxa_route(handler: Handler) -> Handler:
    """Turn the server's ``FxaHttpError``s into its JSON error answers."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except errors.FxaHttpError as error:
            return error.response()

    return wrapper


def require_str(body: dict[str, Any], name: str, *, pattern: re.Pattern[str] | None = None) -> str:
    value = body.get(name)
    if value is None:
        raise errors.missing_parameter(name)
    if not isinstance(value, str) or (pattern is not None and not pattern.match(value)):
        raise errors.invalid_parameter(name)
    return value
