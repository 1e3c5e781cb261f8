"""The account's secrets through the real Secret Service (gnome-keyring under tests/run.sh),
and the plain errors foxbridge gives when no keyring is usable."""

from __future__ import annotations

import os
from collections.abc import Iterator

import keyring
import keyring.backends.fail
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from daemon.errors import KeyringUnavailableError
from daemon.fxa import secrets

UID = "0123456789abcdef0123456789abcdef"


def uses_secret_service() -> bool:
    backend = keyring.get_keyring()
    chain = getattr(backend, "backends", [backend])
    return any(type(b).__module__ == "keyring.backends.SecretService" for b in chain)


@pytest.fixture
def secret_service() -> Iterator[None]:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        pytest.skip("no D-Bus session bus (tests/run.sh starts one with gnome-keyring)")
    # With a session bus the real Secret Service must be what keyring uses (possibly
    # inside its chainer): anything else is a broken set-up, not a reason to skip.
    assert uses_secret_service(), f"keyring uses {keyring.get_keyring()!r}"
    yield
    secrets.delete_account(UID)
    secrets.delete_pending()


@pytest.mark.keyring
def test_account_secrets_round_trip_through_the_secret_service(secret_service) -> None:
    stored = secrets.AccountSecrets(
        session_token=bytes(range(32)),
        refresh_token="ab" * 32,
        ksync=bytes(range(64)),
        kid="1700000000000-abcdefghijklmnopqrstuv",
    )
    secrets.save_account(UID, stored)
    # Read back through keyring itself: one JSON entry under the "foxbridge" service.
    assert keyring.get_password("foxbridge", UID) == stored.to_json()
    loaded = secrets.load_account(UID)
    assert loaded == stored
    secrets.delete_account(UID)
    assert secrets.load_account(UID) is None
    secrets.delete_account(UID)  # deleting twice is fine


@pytest.mark.keyring
def test_pending_sign_in_round_trip_through_the_secret_service(secret_service) -> None:
    pending = secrets.PendingSignIn(
        kind="email",
        email="ann@example.org",
        servers={"content_url": "http://127.0.0.1:1"},
        uid=UID,
        session_token=b"\1" * 32,
        key_fetch_token=b"\2" * 32,
        unwrap_b_key=b"\3" * 32,
    )
    secrets.save_pending(pending)
    assert secrets.load_pending() == pending
    secrets.delete_pending()
    assert secrets.load_pending() is None


class _Raising(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        raise self.error


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


@pytest.mark.parametrize(
    ("backend", "hint"),
    [
        (keyring.backends.fail.Keyring(), "Secret Service provider"),
        (_Raising(keyring.errors.NoKeyringError("none")), "Secret Service provider"),
        (_Raising(keyring.errors.KeyringLocked("locked")), "keyring is locked"),
        (_Raising(keyring.errors.InitError("Prompt dismissed")), "cannot show a prompt"),
    ],
)
def test_no_usable_keyring_is_a_plain_error(restore_keyring, backend, hint) -> None:
    keyring.set_keyring(backend)
    stored = secrets.AccountSecrets(b"\0" * 32, "r" * 64, b"\0" * 64, "1-a")
    with pytest.raises(KeyringUnavailableError) as raised:
        secrets.save_account(UID, stored)
    assert hint in str(raised.value)
    with pytest.raises(KeyringUnavailableError):
        secrets.load_account(UID)


def test_a_damaged_entry_is_a_plain_error(memory_keyring) -> None:
    memory_keyring.set_password("foxbridge", UID, "{not json")
    with pytest.raises(KeyringUnavailableError, match="damaged"):
        secrets.load_account(UID)


def test_an_expired_pending_sign_in_is_dropped(memory_keyring) -> None:
    import time

    stale = secrets.PendingSignIn(
        kind="unblock",
        email="old@example.org",
        servers={},
        auth_pw=b"\1" * 32,
        unwrap_b_key=b"\2" * 32,
        created_at=time.time() - secrets.PENDING_LIFETIME - 1,
    )
    secrets.save_pending(stale)
    assert secrets.load_pending() is None
    assert memory_keyring.entries == {}  # the stretched password is gone too
