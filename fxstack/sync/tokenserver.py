"""The tokenserver: trades an FxA OAuth access token for storage credentials.

It checks the bearer token (scope oldsync) and the X-KeyID header, keeps per user
the highest generation and keysChangedAt seen and every client state (kB
fingerprint) ever used, and refuses requests that go backwards, with the same
statuses and error bodies as the production server. A new client state means new
keys, so the user gets a fresh, empty storage uid, as in production.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

OLDSYNC_SCOPE = "https://identity.mozilla.com/apps/oldsync"
_KEY_ID = re.compile(r"(\d+)-([A-Za-z0-9_-]+)")
_CLIENT_STATE = re.compile(r"[A-Za-z0-9._-]{0,32}")


class VerifiedToken(Protocol):
    uid: str
    scope: Any  # a space-separated string or a list of scopes
    generation: int | None
    keys_changed_at: int | None


TokenVerifier = Callable[[str], Awaitable[VerifiedToken | None]]


@dataclass
class TokenUser:
    """What the tokenserver remembers about one FxA user."""

    fxa_uid: str
    storage_uid: int
    generation: int
    keys_changed_at: int
    client_state: str
    old_client_states: set[str] = field(default_factory=set)


@dataclass(repr=False)
class IssuedToken:
    id: str
    key: str
    fxa_uid: str
    storage_uid: int
    expires: float


class TokenError(Exception):
    def __init__(self, status: int, name: str, location: str, field_name: str, text: str):
        super().__init__(text)
        self.http_status = status
        self.name = name
        self.location = location
        self.field_name = field_name
        self.text = text

    def response(self) -> web.Response:
        body = {
            "status": self.name,
            "errors": [
                {"location": self.location, "name": self.field_name, "description": self.text}
            ],
        }
        return web.json_response(body, status=self.http_status, headers=_timestamp())


def _timestamp() -> dict[str, str]:
    return {"X-Timestamp": str(int(time.time()))}


def _unauthorized(name: str, text: str, field_name: str = "Authorization") -> TokenError:
    return TokenError(401, name, "header" if field_name else "body", field_name, text)


def _scopes(scope: Any) -> set[str]:
    if isinstance(scope, str):
        return set(scope.split())
    if isinstance(scope, list | tuple | set):
        return {str(item) for item in scope}
    return set()


def parse_key_id(value: str) -> tuple[int, str]:
    """X-KeyID → (keysChangedAt ms, client state as hex); raises ValueError."""
    match = _KEY_ID.fullmatch(value)
    if match is None:
        raise ValueError("malformed X-KeyID")
    raw = match.group(2)
    try:
        state = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("malformed X-KeyID") from error
    if not state:
        raise ValueError("malformed X-KeyID")
    return int(match.group(1)), state.hex()


class TokenServer:
    def __init__(
        self,
        verify_token: TokenVerifier,
        *,
        allocate_uid: Callable[[], int],  # a fresh storage uid, never used before
        duration: int = 3600,
    ) -> None:
        self._verify = verify_token
        self._allocate_uid = allocate_uid
        self.duration = duration
        self.users: dict[str, TokenUser] = {}
        self.tokens: dict[str, IssuedToken] = {}

    # -- state changes used by tests -------------------------------------------------

    def expire_all(self) -> int:
        past = time.time() - 1
        for token in self.tokens.values():
            token.expires = past
        return len(self.tokens)

    def reassign(self, fxa_uid: str) -> int:
        """Move the user to a new, empty node: old tokens stop working."""
        user = self.users[fxa_uid]
        user.storage_uid = self._allocate_uid()
        return user.storage_uid

    def lookup(self, token_id: str) -> IssuedToken | None:
        return self.tokens.get(token_id)

    def is_current(self, token: IssuedToken) -> bool:
        user = self.users.get(token.fxa_uid)
        return user is not None and user.storage_uid == token.storage_uid

    # -- the endpoint ----------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        try:
            user, verified_uid = await self._authenticate(request)
        except TokenError as error:
            return error.response()
        duration = self.duration
        wanted = request.query.get("duration", "")
        if wanted.isdigit() and 0 < int(wanted) <= self.duration:
            duration = int(wanted)
        token = IssuedToken(
            id=secrets.token_urlsafe(32),
            key=secrets.token_urlsafe(32),
            fxa_uid=verified_uid,
            storage_uid=user.storage_uid,
            expires=time.time() + duration,
        )
        self.tokens[token.id] = token
        origin = f"{request.scheme}://{request.host}"
        body = {
            "id": token.id,
            "key": token.key,
            "uid": user.storage_uid,
            "api_endpoint": f"{origin}/storage/1.5/{user.storage_uid}",
            "duration": duration,
            "hashed_fxa_uid": _hashed(verified_uid),
            "hashalg": "sha256",
            "node_type": "sqlite",
        }
        return web.json_response(body, headers=_timestamp())

    async def _authenticate(self, request: web.Request) -> tuple[TokenUser, str]:
        scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not bearer.strip():
            raise _unauthorized("invalid-credentials", "Unsupported")
        verified = await self._verify(bearer.strip())
        if verified is None or OLDSYNC_SCOPE not in _scopes(verified.scope):
            raise _unauthorized("invalid-credentials", "Unauthorized")
        key_id = request.headers.get("X-KeyID")
        if key_id is None:
            raise _unauthorized("invalid-key-id", "Missing X-KeyID header", "X-KeyID")
        try:
            keys_changed_at, client_state = parse_key_id(key_id)
        except ValueError:
            raise _unauthorized(
                "invalid-credentials", "Invalid X-KeyID header", "X-KeyID"
            ) from None
        legacy_state = request.headers.get("X-Client-State")
        if legacy_state is not None and (
            not _CLIENT_STATE.fullmatch(legacy_state) or legacy_state.lower() != client_state
        ):
            raise _unauthorized(
                "invalid-client-state", "Unacceptable client-state value", "X-Client-State"
            )
        generation = int(verified.generation or 0)
        if generation and keys_changed_at > generation:
            raise _unauthorized(
                "invalid-keysChangedAt", "keysChangedAt greater than generation", "X-KeyID"
            )
        return self._check_user(str(verified.uid), generation, keys_changed_at, client_state), str(
            verified.uid
        )

    def _check_user(
        self, fxa_uid: str, generation: int, keys_changed_at: int, client_state: str
    ) -> TokenUser:
        user = self.users.get(fxa_uid)
        if user is None:
            user = TokenUser(
                fxa_uid, self._allocate_uid(), generation, keys_changed_at, client_state
            )
            self.users[fxa_uid] = user
            return user
        if generation and generation < user.generation:
            raise _unauthorized("invalid-generation", "Unauthorized")
        if keys_changed_at < user.keys_changed_at:
            raise _unauthorized(
                "invalid-keysChangedAt", "Unacceptable keysChangedAt value", "X-KeyID"
            )
        if client_state != user.client_state:
            if client_state in user.old_client_states:
                raise _unauthorized(
                    "invalid-client-state",
                    "Unacceptable client-state value stale value",
                    "X-Client-State",
                )
            if keys_changed_at <= user.keys_changed_at:
                raise _unauthorized(
                    "invalid-client-state",
                    "Unacceptable client-state value new value with no keys_changed_at change",
                    "X-Client-State",
                )
            # New keys: the old data cannot be read any more, so start on empty storage.
            user.old_client_states.add(user.client_state)
            user.client_state = client_state
            user.storage_uid = self._allocate_uid()
        user.generation = max(user.generation, generation)
        user.keys_changed_at = max(user.keys_changed_at, keys_changed_at)
        return user


def _hashed(fxa_uid: str) -> str:
    return hashlib.sha256(fxa_uid.encode()).hexdigest()[:32]
