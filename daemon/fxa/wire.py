"""The auth server's answers, checked and turned into typed records (pure).

Every field the client relies on is validated here; anything malformed becomes a
``MalformedResponseError`` naming the field (never its value, which may be a secret).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from daemon.fxa.errors import MalformedResponseError

_HEX = re.compile(r"^[0-9a-f]*\Z")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\Z")


def obj(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise MalformedResponseError(f"{what} is not a JSON object")
    return data


def hex_bytes(data: dict[str, Any], name: str, length: int) -> bytes:
    value = data.get(name)
    if not isinstance(value, str) or len(value) != 2 * length or not _HEX.match(value):
        raise MalformedResponseError(f"'{name}' is not {length} bytes of hex")
    return bytes.fromhex(value)


def string(data: dict[str, Any], name: str, *, max_length: int = 2048) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise MalformedResponseError(f"'{name}' is missing or not text")
    return value


def optional_string(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedResponseError(f"'{name}' is not text")
    return value


def integer(data: dict[str, Any], name: str, *, minimum: int = 0) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise MalformedResponseError(f"'{name}' is not a number ≥ {minimum}")
    return value


def boolean(data: dict[str, Any], name: str) -> bool:
    value = data.get(name)
    if not isinstance(value, bool):
        raise MalformedResponseError(f"'{name}' is not true or false")
    return value


def uid(data: dict[str, Any], name: str = "uid") -> str:
    return hex_bytes(data, name, 16).hex()


def email(data: dict[str, Any], name: str) -> str:
    value = string(data, name, max_length=255)
    if not _EMAIL.match(value):
        raise MalformedResponseError(f"'{name}' is not an email address")
    return value


@dataclass(frozen=True, repr=False)
class LoginResult:
    uid: str
    session_token: bytes
    key_fetch_token: bytes | None
    verified: bool
    verification_method: str | None  # how to confirm, while not verified
    verification_reason: str | None

    @classmethod
    def parse(cls, data: Any, *, keys: bool, stretch_version: int = 1) -> LoginResult:
        data = obj(data, "login answer")
        verified = boolean(data, "verified")
        # A V2 authPW gets a key-fetch token under another name: its bundle wraps kB for
        # the V2 unwrapBKey.
        key_field = "keyFetchToken" if stretch_version == 1 else "keyFetchTokenVersion2"
        return cls(
            uid=uid(data),
            session_token=hex_bytes(data, "sessionToken", 32),
            key_fetch_token=hex_bytes(data, key_field, 32) if keys else None,
            verified=verified,
            verification_method=None if verified else optional_string(data, "verificationMethod"),
            verification_reason=None if verified else optional_string(data, "verificationReason"),
        )

    def __repr__(self) -> str:
        return f"LoginResult(uid={self.uid!r}, verified={self.verified})"


@dataclass(frozen=True, repr=False)
class OAuthTokens:
    access_token: str
    refresh_token: str | None
    expires_in: int  # seconds
    scope: tuple[str, ...]

    @classmethod
    def parse(cls, data: Any, *, want_refresh: bool) -> OAuthTokens:
        data = obj(data, "OAuth token answer")
        access = string(data, "access_token", max_length=8192)
        if (optional_string(data, "token_type") or "bearer").lower() != "bearer":
            raise MalformedResponseError("'token_type' is not bearer")
        refresh = None
        if want_refresh:
            refresh = hex_bytes(data, "refresh_token", 32).hex()
        return cls(
            access_token=access,
            refresh_token=refresh,
            expires_in=integer(data, "expires_in", minimum=1),
            scope=tuple(string(data, "scope").split()),
        )

    def __repr__(self) -> str:
        return f"OAuthTokens(scope={self.scope!r}, expires_in={self.expires_in})"


@dataclass(frozen=True, repr=False)
class ScopedKeyData:
    identifier: str
    key_rotation_secret: bytes
    key_rotation_timestamp: int  # ms

    @classmethod
    def parse(cls, data: Any, scope: str) -> ScopedKeyData:
        entry = obj(obj(data, "scoped key data").get(scope), f"scoped key data for {scope}")
        if string(entry, "identifier") != scope:
            raise MalformedResponseError("scoped key data for another scope")
        return cls(
            identifier=scope,
            key_rotation_secret=hex_bytes(entry, "keyRotationSecret", 32),
            key_rotation_timestamp=integer(entry, "keyRotationTimestamp"),
        )

    def __repr__(self) -> str:
        return f"ScopedKeyData(timestamp={self.key_rotation_timestamp})"


@dataclass(frozen=True)
class DeviceRecord:
    id: str
    name: str
    type: str
    is_current: bool

    @classmethod
    def parse(cls, data: Any) -> DeviceRecord:
        data = obj(data, "device record")
        current = data.get("isCurrentDevice", False)
        name = optional_string(data, "name") or ""  # the server allows an empty name
        if len(name) > 255:
            raise MalformedResponseError("'name' is too long")
        return cls(
            id=hex_bytes(data, "id", 16).hex(),
            name=name,
            type=optional_string(data, "type") or "desktop",
            is_current=current is True,
        )


@dataclass(frozen=True)
class Profile:
    uid: str
    email: str

    @classmethod
    def parse(cls, data: Any) -> Profile:
        data = obj(data, "profile")
        return cls(uid=uid(data), email=email(data, "email"))


@dataclass(frozen=True)
class SessionStatus:
    uid: str
    verified: bool

    @classmethod
    def parse(cls, data: Any) -> SessionStatus:
        data = obj(data, "session status")
        state = string(data, "state")
        if state not in ("verified", "unverified"):
            raise MalformedResponseError("'state' is neither verified nor unverified")
        return cls(uid=uid(data), verified=state == "verified")


@dataclass(frozen=True)
class CredentialsStatus:
    version: int  # 1 or 2
    client_salt: str | None  # the V2 salt, when version is 2

    @classmethod
    def parse(cls, data: Any) -> CredentialsStatus:
        data = obj(data, "credentials status")
        current = data.get("currentVersion")
        if current == "v1":
            return cls(version=1, client_salt=None)
        if current == "v2":
            salt = string(data, "clientSalt", max_length=200)
            if not salt.startswith("identity.mozilla.com/picl/v1/quickStretchV2:"):
                raise MalformedResponseError("'clientSalt' is not a V2 salt")
            return cls(version=2, client_salt=salt)
        raise MalformedResponseError("'currentVersion' is neither v1 nor v2")


def key_bundle(data: Any) -> bytes:
    return hex_bytes(obj(data, "keys answer"), "bundle", 96)
