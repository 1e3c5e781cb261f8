"""The signed-in account: a non-secret description in ``account.json`` plus its secrets
in the OS keyring, and the Sync credentials minted from them.

``Account.credentials(http)`` keeps an OAuth access token fresh for the tokenserver.
When the server says our refresh token or session is gone (the user disconnected this
device, changed the password, or signed out everywhere), the account signs itself out
cleanly — local secrets and ``account.json`` removed — and raises ``SignedOutError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

import aiohttp

from daemon.errors import AuthError, FoxbridgeError, NetworkError, NotSignedInError
from daemon.fxa import secrets
from daemon.fxa.client import OLDSYNC_SCOPE, FxaClient
from daemon.fxa.credentials import SyncKey
from daemon.fxa.errors import InvalidTokenError
from daemon.fxa.servers import ServerConfig, ServerConfigError
from daemon.paths import Paths
from daemon.settings import write_json_atomically

log = logging.getLogger(__name__)

ACCOUNT_FILE_VERSION = 1
REFRESH_MARGIN = 120  # seconds before expiry at which an access token is renewed
ACCESS_TOKEN_TTL = 3600


class SignedOutError(NotSignedInError):
    def __init__(self) -> None:
        super().__init__(
            "This computer was signed out of your Firefox account (disconnected, or the "
            "password changed). Run 'foxbridge login' to sign in again."
        )


@dataclass
class Account:
    paths: Paths = field(repr=False)
    email: str
    uid: str
    device_id: str | None
    device_name: str
    servers: ServerConfig
    key_rotation_timestamp: int  # ms, from scoped-key-data

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": ACCOUNT_FILE_VERSION,
            "email": self.email,
            "uid": self.uid,
            "device_id": self.device_id,
            "device_name": self.device_name,
            "servers": self.servers.to_dict(),
            "key_rotation_timestamp": self.key_rotation_timestamp,
        }

    def save(self) -> None:
        self.paths.ensure()
        write_json_atomically(self.paths.account_file, self.to_dict())
        if os.name == "posix":
            self.paths.account_file.chmod(0o600)

    def secrets(self) -> secrets.AccountSecrets:
        found = secrets.load_account(self.uid)
        if found is None:
            raise NotSignedInError(
                f"The OS keyring has no foxbridge secrets for {self.email}. "
                "Run 'foxbridge login' to sign in again."
            )
        return found

    def credentials(self, http: aiohttp.ClientSession) -> AccountCredentials:
        stored = self.secrets()
        return AccountCredentials(
            account=self,
            client=FxaClient(http, self.servers),
            sync_key=SyncKey(ksync=stored.ksync, kid=stored.kid),
            refresh_token=stored.refresh_token,
            session_token=stored.session_token,
        )

    def forget(self) -> None:
        """Remove everything local: the keyring entries and the account file."""
        secrets.delete_account(self.uid)
        secrets.delete_pending()
        self.paths.account_file.unlink(missing_ok=True)

    async def logout(self, http: aiohttp.ClientSession) -> bool:
        """Sign out on the server and locally. False when the server could not be reached
        (local secrets are removed anyway; the server forgets unused tokens in time)."""
        reached = True
        try:
            stored = secrets.load_account(self.uid)
        except secrets.CorruptSecretsError:
            stored = None
        if stored is not None:
            client = FxaClient(http, self.servers)
            try:
                await _tolerating_gone(client.destroy_oauth_token(stored.refresh_token))
                if stored.session_token is not None:
                    await _tolerating_gone(client.destroy_session(stored.session_token))
            except NetworkError:
                reached = False
            except FoxbridgeError as error:
                log.warning("the account server refused the sign-out: %s", error)
        self.forget()
        return reached


async def _tolerating_gone(call: Awaitable[None]) -> None:
    with contextlib.suppress(InvalidTokenError):  # already gone: that is what we wanted
        await call


def store_account(account: Account, stored: secrets.AccountSecrets) -> None:
    """Record a completed sign-in: secrets to the keyring first, then ``account.json``
    (so a crash in between leaves no account file without its secrets)."""
    secrets.save_account(account.uid, stored)
    account.save()


def refuse_if_signed_in(paths: Paths) -> None:
    """A new sign-in must not silently replace the account this computer is signed in to."""
    try:
        current = load_account(paths)
    except NotSignedInError:
        return
    raise AuthError(
        f"Already signed in as {current.email}. Sign out first ('foxbridge logout') to "
        "switch accounts."
    )


def load_account(paths: Paths) -> Account:
    """The signed-in account; ``NotSignedInError`` when there is none."""
    try:
        data = json.loads(paths.account_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotSignedInError() from None
    except (OSError, ValueError, RecursionError) as error:  # RecursionError: nested too deeply
        raise NotSignedInError(
            "The saved account description is unreadable. Run 'foxbridge login' again."
        ) from error
    try:
        if not isinstance(data, dict) or data.get("version") != ACCOUNT_FILE_VERSION:
            raise ValueError("unknown format")
        device_id = data.get("device_id")
        timestamp = data["key_rotation_timestamp"]
        if not isinstance(timestamp, int) or timestamp <= 0:
            raise ValueError("bad key rotation timestamp")
        return Account(
            paths=paths,
            email=str(data["email"]),
            uid=str(data["uid"]),
            device_id=str(device_id) if device_id else None,
            device_name=str(data["device_name"]),
            servers=ServerConfig.from_dict(data["servers"]),
            key_rotation_timestamp=timestamp,
        )
    except (KeyError, TypeError, ValueError, ServerConfigError) as error:
        raise NotSignedInError(
            "The saved account description is incomplete. Run 'foxbridge login' again."
        ) from error


@dataclass(repr=False)
class AccountCredentials:
    """``SyncCredentials`` for a signed-in account: OAuth access tokens on demand."""

    account: Account
    client: FxaClient
    sync_key: SyncKey
    refresh_token: str = field(repr=False)
    session_token: bytes | None = field(repr=False)
    clock: Callable[[], float] = time.monotonic  # replaceable in tests
    _access_token: str | None = field(default=None, repr=False)
    _expires_at: float = 0.0  # clock() at which the access token expires
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def token_server_url(self) -> str:
        return self.account.servers.token_server_url

    def __repr__(self) -> str:
        return f"AccountCredentials(email={self.account.email!r})"

    @property
    def access_token_expires_in(self) -> float:
        """Seconds left on the cached access token (≤ 0: none or expired)."""
        return self._expires_at - self.clock() if self._access_token else 0.0

    async def access_token(self, *, force_refresh: bool = False) -> str:
        async with self._lock:
            if (
                force_refresh
                or self._access_token is None
                or self.access_token_expires_in < REFRESH_MARGIN
            ):
                await self._refresh()
            assert self._access_token is not None
            return self._access_token

    async def on_unauthorized(self) -> None:
        """The tokenserver refused our access token: get a new one, or find out that we
        were disconnected (then sign out and raise ``SignedOutError``)."""
        async with self._lock:
            self._access_token = None
            await self._refresh()
        await self.check_connected()

    async def check_connected(self) -> None:
        """Raise ``SignedOutError`` (after signing out locally) when the session is gone
        or our device was removed from the account's device list. (Without a session —
        after a web sign-in — the refresh token alone tells.)"""
        if self.session_token is None:
            return
        try:
            await self.client.session_status(self.session_token)
            if self.account.device_id is not None:
                devices = await self.client.devices(self.session_token)
                if all(device.id != self.account.device_id for device in devices):
                    self._signed_out("device removed from the account")
        except InvalidTokenError:
            self._signed_out("session rejected")

    async def _refresh(self) -> None:
        try:
            tokens = await self.client.oauth_token_with_refresh(
                self.refresh_token, OLDSYNC_SCOPE, ttl=ACCESS_TOKEN_TTL
            )
        except InvalidTokenError:
            self._signed_out("refresh token rejected")
        self._access_token = tokens.access_token
        self._expires_at = self.clock() + tokens.expires_in
        log.debug("new access token, valid for %d s", tokens.expires_in)

    def _signed_out(self, why: str) -> NoReturn:
        log.warning("signed out by the server (%s); removing local credentials", why)
        self._access_token = None
        self.account.forget()
        raise SignedOutError()
