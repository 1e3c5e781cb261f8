"""The tokenserver client: an OAuth access token + X-KeyID → storage credentials.

A 401 that says the access token is bad calls ``credentials.on_unauthorized()`` and
retries once with a fresh access token. Statuses that mean our keys are stale become
``CredentialsChangedError``; nothing here ever logs or repeats a token.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp

from daemon.errors import AuthError, FoxbridgeError, NetworkError, ServerError
from daemon.fxa.credentials import SyncCredentials
from daemon.sync.errors import (
    MAX_SERVER_WAIT,
    BackoffError,
    CredentialsChangedError,
    SyncProtocolError,
)

log = logging.getLogger(__name__)

TOKEN_PATH = "/1.0/sync/1.5"  # noqa: S105 (a URL path, not a secret)
DEFAULT_RETRY_AFTER = 300.0  # when a 503 names no Retry-After
_KEYS_CHANGED = {"invalid-keysChangedAt", "invalid-client-state"}


def token_endpoint(base_url: str) -> str:
    """A token server URL with or without the ``/1.0/sync/1.5`` suffix → the endpoint."""
    url = base_url.rstrip("/")
    return url if url.endswith(TOKEN_PATH) else url + TOKEN_PATH


@dataclass(frozen=True, repr=False)
class StorageToken:
    """Hawk credentials for one storage node, valid until ``expires_at`` (local clock)."""

    id: str = field(repr=False)
    key: str = field(repr=False)
    uid: int
    api_endpoint: str
    duration: int
    expires_at: float

    def __repr__(self) -> str:
        return f"StorageToken(uid={self.uid}, api_endpoint={self.api_endpoint!r})"


@dataclass(frozen=True)
class TokenResponse:
    token: StorageToken
    server_offset: float  # server clock minus local clock, from X-Timestamp
    backoff: float | None = None  # seconds the server asks us to stay away (X-Backoff)


def parse_token(body: object, now: float) -> StorageToken:
    if not isinstance(body, dict):
        raise SyncProtocolError("The token server sent an invalid answer.")
    token_id, key = body.get("id"), body.get("key")
    uid, endpoint, duration = body.get("uid"), body.get("api_endpoint"), body.get("duration")
    if not (isinstance(token_id, str) and token_id and isinstance(key, str) and key):
        raise SyncProtocolError("The token server's answer lacks the storage credentials.")
    if not isinstance(uid, int) or isinstance(uid, bool):
        raise SyncProtocolError("The token server's answer has no valid uid.")
    if not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in ("http", "https"):
        raise SyncProtocolError("The token server's answer has no valid storage address.")
    if not isinstance(duration, int) or isinstance(duration, bool) or duration <= 0:
        raise SyncProtocolError("The token server's answer has no valid duration.")
    return StorageToken(token_id, key, uid, endpoint.rstrip("/"), duration, now + duration)


class TokenServerClient:
    def __init__(
        self,
        credentials: SyncCredentials,
        http: aiohttp.ClientSession,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._credentials = credentials
        self._http = http
        self._clock = clock
        self.url = token_endpoint(credentials.token_server_url)
        self.requests = 0

    async def fetch(self) -> TokenResponse:
        """A new storage token; one retry with a fresh access token after a 401."""
        try:
            return await self._fetch_once(force_refresh=False)
        except _RetryableUnauthorized:
            await self._credentials.on_unauthorized()
        try:
            return await self._fetch_once(force_refresh=True)
        except _RetryableUnauthorized:
            raise AuthError(
                "The Sync token server does not accept your sign-in. "
                "Sign in again with 'foxbridge login'."
            ) from None

    async def _fetch_once(self, *, force_refresh: bool) -> TokenResponse:
        access_token = await self._credentials.access_token(force_refresh=force_refresh)
        headers = {
            "Authorization": f"Bearer {access_token}",
            "X-KeyID": self._credentials.sync_key.kid,
            "Accept": "application/json",
        }
        self.requests += 1
        try:
            async with self._http.get(self.url, headers=headers) as response:
                body = await _json_or_none(response)
                status = response.status
                response_headers = response.headers
        except (TimeoutError, aiohttp.ClientError) as error:
            raise NetworkError(
                f"Cannot reach the Sync token server ({type(error).__name__})."
            ) from None
        now = self._clock()
        offset = _offset(response_headers.get("X-Timestamp"), now)
        if status == 200:
            backoff = _retry_after(response_headers, 0.0) or None
            return TokenResponse(parse_token(body, now), offset, backoff)
        raise _token_error(status, body, response_headers)


class _RetryableUnauthorized(Exception):
    pass


async def _json_or_none(response: aiohttp.ClientResponse) -> object:
    try:
        return await response.json(content_type=None)
    except (ValueError, RecursionError, aiohttp.ContentTypeError):
        return None


def _offset(header: str | None, now: float) -> float:
    try:
        stamp = float(header) if header else now
    except ValueError:
        return 0.0
    return stamp - now if math.isfinite(stamp) else 0.0


def _retry_after(headers: object, default: float) -> float:
    assert hasattr(headers, "get")
    for name in ("Retry-After", "X-Backoff", "X-Weave-Backoff"):
        value = headers.get(name)
        if value and value.strip().isdigit():
            return min(float(value), MAX_SERVER_WAIT)
    return default


def _token_error(status: int, body: object, headers: object) -> Exception:
    name = body.get("status") if isinstance(body, dict) else None
    log.info("token server answered %s (%s)", status, name)
    if status == 401 and name in _KEYS_CHANGED:
        return CredentialsChangedError()
    if status == 401:
        return _RetryableUnauthorized()
    if status == 403:
        return AuthError("The Sync server does not accept this account (new users disabled?).")
    if status == 404:
        return FoxbridgeError("The Sync token server address is wrong: it does not know Sync 1.5.")
    if status in (429, 503):
        return BackoffError(_retry_after(headers, DEFAULT_RETRY_AFTER))
    return ServerError(f"The Sync token server failed (HTTP {status}).")
