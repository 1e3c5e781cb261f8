"""What the accounts server double remembers: accounts, tokens, devices, the mailbox.

Everything lives in memory; the stack is for tests and demos. The server keeps what a
real one would — a salted hash of authPW and the wrapped key, hashes of tokens — plus
``kB`` on ``StackAccount``, which only test code reads (to check what a client derived).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from fxstack.fxa import crypto

OLDSYNC = "https://identity.mozilla.com/apps/oldsync"
PROFILE = "profile"
FIREFOX_DESKTOP_CLIENT_ID = "5882386c6d801776"
# Public clients allowed the fxa-credentials grant, as on Mozilla's servers.
CLIENT_IDS = frozenset({FIREFOX_DESKTOP_CLIENT_ID, "a2270f727f45f648", "1b1a3e44c54fbb58"})

Verification = Literal["email-otp", "totp", "none"]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(repr=False)
class StackAccount:
    uid: str
    email: str  # with the case it was created with: login stretches with exactly this
    auth_salt: bytes
    verify_hash: bytes
    ka: bytes
    wrap_kb: bytes
    kB: bytes  # the protocol's name; test-only, the server never uses it
    verification: Verification
    totp_secret: str | None
    key_rotation_timestamp: int  # ms; keysChangedAt
    key_rotation_secret: bytes
    generation: int  # ms; changes when the password does
    email_code_seed: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    blocked: bool = False  # logins fail with errno 125 until an unblock code is used
    unblock_code: str | None = None
    failed_logins: int = 0
    throttled_until: float = 0.0
    # Key stretching V2: a second verifier and wrap of the same kB, as upgraded accounts have.
    client_salt: str | None = None
    verify_hash_v2: bytes | None = None
    wrap_kb_v2: bytes | None = None

    @property
    def ksync(self) -> bytes:
        return crypto.hkdf(self.kB, crypto.NS + b"oldsync", 64)

    @property
    def kid(self) -> str:
        digest = hashlib.sha256(self.kB).digest()[:16]
        return f"{self.key_rotation_timestamp}-" + base64.urlsafe_b64encode(digest).rstrip(
            b"="
        ).decode("ascii")

    def __repr__(self) -> str:
        return f"StackAccount(uid={self.uid!r}, email={self.email!r})"


@dataclass(repr=False)
class SessionToken:
    token_id: str  # Hawk id (hex)
    hawk_key: bytes
    uid: str
    user_agent: str
    created_at: float
    verified: bool
    verification_method: str | None  # how it must be confirmed while unverified
    email_code: str | None = None  # the current sign-in code, when one was sent
    email_code_sent_at: float = 0.0
    device_id: str | None = None
    last_access: float = 0.0


@dataclass(repr=False)
class KeyFetchToken:
    token_id: str
    hawk_key: bytes
    key_request_key: bytes
    uid: str
    session_id: str  # keys are released once this session is verified
    stretch_version: int = 1  # which wrap of kB the bundle carries


@dataclass(repr=False)
class RefreshToken:
    token_hash: str
    uid: str
    client_id: str
    scope: tuple[str, ...]
    session_id: str | None  # the session that granted it (disconnecting removes both)
    created_at: float
    last_used: float


@dataclass(repr=False)
class AccessToken:
    token_hash: str
    uid: str
    client_id: str
    scope: tuple[str, ...]
    expires_at: float
    refresh_hash: str | None


@dataclass
class Device:
    id: str
    uid: str
    session_id: str
    name: str
    type: str
    created_at: float
    available_commands: dict[str, str] = field(default_factory=dict)
    push_callback: str | None = None
    push_public_key: str | None = None
    push_auth_key: str | None = None
    last_access: float = 0.0


@dataclass(frozen=True)
class VerifiedToken:
    """What the tokenserver learns from a valid OAuth access token."""

    uid: str
    scope: tuple[str, ...]
    generation: int
    keys_changed_at: int  # ms


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    code: str


@dataclass
class FxaState:
    """All server state, with the operations the routes need. No HTTP here."""

    accounts: dict[str, StackAccount] = field(default_factory=dict)  # by uid
    sessions: dict[str, SessionToken] = field(default_factory=dict)  # by token id
    key_fetch_tokens: dict[str, KeyFetchToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)  # by hash
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)  # by hash
    devices: dict[str, Device] = field(default_factory=dict)
    mailbox: list[Email] = field(default_factory=list)
    email_listeners: list[Callable[[Email], None]] = field(default_factory=list)
    clock_offset: float = 0.0  # seconds added to the real clock (to test clock skew)
    max_bad_passwords: int = 5  # wrong passwords in a row before throttling
    throttle_seconds: int = 900
    corrupt_key_bundles: int = 0  # the next N /account/keys answers carry a bad MAC

    def now(self) -> float:
        return time.time() + self.clock_offset

    # accounts

    def account_by_email(self, email: str) -> StackAccount | None:
        wanted = email.lower()
        for account in self.accounts.values():
            if account.email.lower() == wanted:
                return account
        return None

    def send_email(self, to: str, subject: str, code: str) -> None:
        message = Email(to=to, subject=subject, code=code)
        self.mailbox.append(message)
        for listener in self.email_listeners:
            listener(message)

    # sessions and tokens

    def new_session(
        self,
        account: StackAccount,
        *,
        user_agent: str,
        verified: bool,
        verification_method: str | None,
    ) -> tuple[str, SessionToken]:
        token = crypto.new_token()
        token_id, key, _ = crypto.token_parts(token, "sessionToken")
        session = SessionToken(
            token_id=token_id,
            hawk_key=key,
            uid=account.uid,
            user_agent=user_agent,
            created_at=self.now(),
            verified=verified,
            verification_method=None if verified else verification_method,
            last_access=self.now(),
        )
        self.sessions[token_id] = session
        return token.hex(), session

    def new_key_fetch_token(self, session: SessionToken, stretch_version: int = 1) -> str:
        token = crypto.new_token()
        token_id, key, request_key = crypto.token_parts(token, "keyFetchToken")
        self.key_fetch_tokens[token_id] = KeyFetchToken(
            token_id=token_id,
            hawk_key=key,
            key_request_key=request_key,
            uid=session.uid,
            session_id=session.token_id,
            stretch_version=stretch_version,
        )
        return token.hex()

    def destroy_session(self, session_id: str) -> None:
        """End a session with everything bound to it: its device and key-fetch tokens."""
        session = self.sessions.pop(session_id, None)
        if session is None:
            return
        for device_id in [d.id for d in self.devices.values() if d.session_id == session_id]:
            del self.devices[device_id]
        for token_id in [k for k, t in self.key_fetch_tokens.items() if t.session_id == session_id]:
            del self.key_fetch_tokens[token_id]

    def disconnect_device(self, device_id: str) -> bool:
        """What "Disconnect" in the account's device list does: the device, its session and
        every OAuth token that session granted are gone."""
        device = self.devices.pop(device_id, None)
        if device is None:
            return False
        for token_hash in [
            h for h, t in self.refresh_tokens.items() if t.session_id == device.session_id
        ]:
            self.destroy_refresh_token(token_hash)
        self.destroy_session(device.session_id)
        return True

    def issue_refresh_token(
        self, uid: str, client_id: str, scope: tuple[str, ...], session_id: str | None
    ) -> str:
        token = crypto.new_token().hex()
        self.refresh_tokens[_hash(token)] = RefreshToken(
            token_hash=_hash(token),
            uid=uid,
            client_id=client_id,
            scope=scope,
            session_id=session_id,
            created_at=self.now(),
            last_used=self.now(),
        )
        return token

    def find_refresh_token(self, token: str) -> RefreshToken | None:
        return self.refresh_tokens.get(_hash(token))

    def destroy_refresh_token(self, token_hash: str) -> None:
        self.refresh_tokens.pop(token_hash, None)
        for access_hash in [
            h for h, t in self.access_tokens.items() if t.refresh_hash == token_hash
        ]:
            del self.access_tokens[access_hash]

    def issue_access_token(
        self,
        uid: str,
        client_id: str,
        scope: tuple[str, ...],
        ttl: int,
        refresh_hash: str | None = None,
    ) -> str:
        token = crypto.new_token().hex()
        self.access_tokens[_hash(token)] = AccessToken(
            token_hash=_hash(token),
            uid=uid,
            client_id=client_id,
            scope=scope,
            expires_at=self.now() + ttl,
            refresh_hash=refresh_hash,
        )
        return token

    def find_access_token(self, token: str) -> AccessToken | None:
        access = self.access_tokens.get(_hash(token))
        if access is None or access.expires_at <= self.now():
            return None
        if access.uid not in self.accounts:
            return None
        return access

    def destroy_token(self, token: str) -> None:
        """RFC 7009: revoke an access or refresh token; unknown tokens are not an error."""
        self.access_tokens.pop(_hash(token), None)
        if _hash(token) in self.refresh_tokens:
            self.destroy_refresh_token(_hash(token))

    def expire_access_tokens(self, uid: str | None = None) -> int:
        expired = 0
        for access in self.access_tokens.values():
            if uid is None or access.uid == uid:
                access.expires_at = self.now() - 1
                expired += 1
        return expired
