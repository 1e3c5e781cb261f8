"""The account's secrets, kept in the OS keyring and nowhere else.

One keyring service, ``foxbridge``, holds one JSON entry per account uid (session token,
refresh token, kSync, key id) and, while a sign-in waits for a confirmation code, one
``pending-sign-in`` entry. Without a usable keyring every call raises
``KeyringUnavailableError`` saying how to get one; there is no plaintext fallback.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import keyring
import keyring.backends.fail
import keyring.errors

from daemon.errors import KeyringUnavailableError

SERVICE = "foxbridge"
PENDING_ENTRY = "pending-sign-in"
PENDING_LIFETIME = 3600  # seconds; codes expire sooner, so an older sign-in is useless

CodeKind = Literal["email", "totp", "unblock"]

NO_KEYRING = (
    "No OS keyring is available to keep your Firefox Account's secrets. Run foxbridge in a "
    "desktop session with a Secret Service provider (GNOME Keyring or KWallet; on a server, "
    "install gnome-keyring and run it on a D-Bus session), then try again."
)
LOCKED = "The OS keyring is locked. Unlock it (log in to your desktop session) and try again."
CANNOT_OPEN = (
    "The OS keyring could not be opened: it needs to ask for its password but cannot show a "
    "prompt here. Unlock it from your desktop session and try again."
)


class CorruptSecretsError(KeyringUnavailableError):
    def __init__(self) -> None:
        super().__init__(
            "foxbridge's entry in the OS keyring is damaged. Run 'foxbridge logout' and sign in "
            "again."
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(data: Any, length: int) -> bytes:
    if not isinstance(data, str):
        raise ValueError("not base64")
    raw = base64.b64decode(data, validate=True)
    if len(raw) != length:
        raise ValueError("wrong length")
    return raw


@dataclass(frozen=True, repr=False)
class AccountSecrets:
    session_token: bytes | None  # None after a web sign-in, which yields OAuth tokens only
    refresh_token: str
    ksync: bytes
    kid: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "session_token": None if self.session_token is None else self.session_token.hex(),
                "refresh_token": self.refresh_token,
                "ksync": _b64(self.ksync),
                "kid": self.kid,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> AccountSecrets:
        try:
            data = json.loads(text)
            return cls(
                session_token=(
                    None if data["session_token"] is None else bytes.fromhex(data["session_token"])
                ),
                refresh_token=str(data["refresh_token"]),
                ksync=_unb64(data["ksync"], 64),
                kid=str(data["kid"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise CorruptSecretsError from error

    def __repr__(self) -> str:
        return "AccountSecrets(<secret>)"


@dataclass(frozen=True, repr=False)
class PendingSignIn:
    """A sign-in waiting for a code, so that the code completes this very sign-in.

    For an email or TOTP code the session exists already (and its keyFetchToken waits for
    it); an unblock code needs a new login, so the stretched password is kept instead of
    a session: authPW, which the server checks, and unwrapBKey, which never leaves us.
    """

    kind: CodeKind
    email: str  # the spelling the account uses
    servers: dict[str, str]
    uid: str = ""
    session_token: bytes = b""
    key_fetch_token: bytes = b""
    unwrap_b_key: bytes = b""
    auth_pw: bytes = b""  # only while an unblock code is awaited
    stretch_version: int = 1  # which stretch auth_pw and unwrap_b_key come from
    created_at: float = field(default_factory=time.time)

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "email": self.email,
                "servers": self.servers,
                "uid": self.uid,
                "session_token": self.session_token.hex(),
                "key_fetch_token": self.key_fetch_token.hex(),
                "unwrap_b_key": self.unwrap_b_key.hex(),
                "auth_pw": self.auth_pw.hex(),
                "stretch_version": self.stretch_version,
                "created_at": self.created_at,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> PendingSignIn:
        try:
            data = json.loads(text)
            if data["kind"] not in ("email", "totp", "unblock"):
                raise ValueError("unknown kind")
            return cls(
                kind=data["kind"],
                email=str(data["email"]),
                servers=dict(data["servers"]),
                uid=str(data["uid"]),
                session_token=bytes.fromhex(data["session_token"]),
                key_fetch_token=bytes.fromhex(data["key_fetch_token"]),
                unwrap_b_key=bytes.fromhex(data["unwrap_b_key"]),
                auth_pw=bytes.fromhex(data["auth_pw"]),
                stretch_version=int(data["stretch_version"]),
                created_at=float(data["created_at"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise CorruptSecretsError from error

    def __repr__(self) -> str:
        return f"PendingSignIn(kind={self.kind!r}, email={self.email!r})"


def _call(operation: Any, *args: str) -> Any:
    """Run one keyring operation, turning every "no usable keyring" into our error."""
    if isinstance(keyring.get_keyring(), keyring.backends.fail.Keyring):
        raise KeyringUnavailableError(NO_KEYRING)
    try:
        return operation(SERVICE, *args)
    except keyring.errors.NoKeyringError as error:
        raise KeyringUnavailableError(NO_KEYRING) from error
    except keyring.errors.KeyringLocked as error:
        raise KeyringUnavailableError(LOCKED) from error
    except keyring.errors.InitError as error:
        raise KeyringUnavailableError(CANNOT_OPEN) from error
    except keyring.errors.PasswordDeleteError:
        return None  # already gone
    except keyring.errors.KeyringError as error:
        raise KeyringUnavailableError(
            f"The OS keyring failed ({type(error).__name__}). {NO_KEYRING}"
        ) from error


def check_available() -> None:
    """Raise ``KeyringUnavailableError`` unless a keyring can be read (for ``doctor``)."""
    _call(keyring.get_password, "availability-check")


def save_account(uid: str, secrets: AccountSecrets) -> None:
    _call(keyring.set_password, uid, secrets.to_json())


def load_account(uid: str) -> AccountSecrets | None:
    text = _call(keyring.get_password, uid)
    return None if text is None else AccountSecrets.from_json(text)


def delete_account(uid: str) -> None:
    if _call(keyring.get_password, uid) is not None:
        _call(keyring.delete_password, uid)


def save_pending(pending: PendingSignIn) -> None:
    _call(keyring.set_password, PENDING_ENTRY, pending.to_json())


def load_pending() -> PendingSignIn | None:
    """The sign-in waiting for a code; an expired or damaged one is deleted, not returned."""
    text = _call(keyring.get_password, PENDING_ENTRY)
    if text is None:
        return None
    try:
        pending = PendingSignIn.from_json(text)
    except CorruptSecretsError:
        pending = None
    if pending is None or not 0 <= time.time() - pending.created_at < PENDING_LIFETIME:
        _call(keyring.delete_password, PENDING_ENTRY)
        return None
    return pending


def delete_pending() -> None:
    if _call(keyring.get_password, PENDING_ENTRY) is not None:
        _call(keyring.delete_password, PENDING_ENTRY)
