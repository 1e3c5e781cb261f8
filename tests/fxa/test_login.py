"""Password sign-in against the local stack over real HTTP, through every confirmation path."""

from __future__ import annotations

import json
import logging
import time

import pytest

from daemon.errors import AuthError
from daemon.fxa import secrets
from daemon.fxa.account import Account, load_account
from daemon.fxa.client import FxaClient
from daemon.fxa.crypto import KeyBundleError
from daemon.fxa.errors import (
    IncorrectPasswordError,
    InvalidCodeError,
    ThrottledError,
    UnverifiedSessionError,
)
from daemon.fxa.login import CodeRequired, login_with_code, login_with_password, pending_sign_in
from fxstack.fxa import totp
from tests.fxa.conftest import PASSWORD


async def sign_in(paths, http, servers, email, password=PASSWORD, code=None):
    return await login_with_password(
        paths, http, email=email, password=password, servers=servers, code=code
    )


def assert_signed_in(account, stack_account, paths, memory_keyring, stack) -> None:
    assert isinstance(account, Account)
    assert account.uid == stack_account.uid
    assert account.email == stack_account.email
    assert account.key_rotation_timestamp == stack_account.key_rotation_timestamp
    stored = secrets.load_account(account.uid)
    assert stored is not None
    # The client derived the same sync key as the server holds, from the password alone.
    assert stored.ksync == stack_account.ksync
    assert stored.kid == stack_account.kid
    assert load_account(paths) == account
    assert secrets.load_pending() is None
    device = stack.fxa.state.devices[account.device_id]
    assert device.name.startswith("Chrome on ") and device.type == "desktop"


async def test_email_code_confirms_the_same_session(stack, http, servers, paths, memory_keyring):
    stack_account = stack.fxa.create_account("alice@example.org", PASSWORD)
    first = await sign_in(paths, http, servers, "alice@example.org")
    assert first == CodeRequired("email")
    assert not (paths.account_file.exists())
    sessions_before = set(stack.fxa.state.sessions)
    code = stack.fxa.last_code("alice@example.org")

    account = await sign_in(paths, http, servers, "alice@example.org", password=None, code=code)

    assert_signed_in(account, stack_account, paths, memory_keyring, stack)
    assert set(stack.fxa.state.sessions) == sessions_before  # no second session was made
    assert all(s.verified for s in stack.fxa.state.sessions.values())


async def test_a_wrong_email_code_keeps_the_sign_in_pending(
    stack, http, servers, paths, memory_keyring
):
    stack_account = stack.fxa.create_account("bob@example.org", PASSWORD)
    assert await sign_in(paths, http, servers, "bob@example.org") == CodeRequired("email")
    code = stack.fxa.last_code("bob@example.org")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with pytest.raises(InvalidCodeError):
        await sign_in(paths, http, servers, "bob@example.org", password=None, code=wrong)
    assert secrets.load_pending() is not None
    account = await sign_in(paths, http, servers, "bob@example.org", password=None, code=code)
    assert_signed_in(account, stack_account, paths, memory_keyring, stack)


async def test_totp_code(stack, http, servers, paths, memory_keyring):
    secret = "JBSWY3DPEHPK3PXP"
    stack_account = stack.fxa.create_account(
        "carol@example.org", PASSWORD, verification="totp", totp_secret=secret
    )
    assert await sign_in(paths, http, servers, "carol@example.org") == CodeRequired("totp")
    assert stack.fxa.state.mailbox == []  # two-step accounts get no email code
    with pytest.raises(InvalidCodeError):
        await sign_in(paths, http, servers, "carol@example.org", password=None, code="000000")
    code = totp.code_at(secret, time.time())
    account = await sign_in(paths, http, servers, "carol@example.org", password=None, code=code)
    assert_signed_in(account, stack_account, paths, memory_keyring, stack)


async def test_unblock_code(stack, http, servers, paths, memory_keyring):
    stack_account = stack.fxa.create_account("dave@example.org", PASSWORD)
    stack.fxa.block_logins("dave@example.org")
    assert await sign_in(paths, http, servers, "dave@example.org") == CodeRequired("unblock")
    assert stack.fxa.state.sessions == {}
    pending = secrets.load_pending()
    assert pending is not None and pending.kind == "unblock"
    assert PASSWORD not in memory_keyring.entries[("foxbridge", "pending-sign-in")]
    code = stack.fxa.last_code("dave@example.org")
    # An unblocked login comes back verified: no second code is needed.
    account = await sign_in(paths, http, servers, "dave@example.org", password=None, code=code)
    assert_signed_in(account, stack_account, paths, memory_keyring, stack)


async def test_the_account_spelling_of_the_email_is_used(
    stack, http, servers, paths, memory_keyring
):
    stack_account = stack.fxa.create_account("Erin.Smith@Example.org", PASSWORD)
    assert await sign_in(paths, http, servers, "erin.smith@example.org") == CodeRequired("email")
    code = stack.fxa.last_code("Erin.Smith@Example.org")
    account = await sign_in(
        paths, http, servers, "erin.smith@example.org", password=None, code=code
    )
    assert_signed_in(account, stack_account, paths, memory_keyring, stack)
    assert account.email == "Erin.Smith@Example.org"


async def test_wrong_passwords_then_throttling(stack, http, servers, paths, memory_keyring):
    stack.fxa.create_account("frank@example.org", PASSWORD)
    stack.fxa.state.max_bad_passwords = 2
    for _ in range(2):
        with pytest.raises(IncorrectPasswordError) as wrong:
            await sign_in(paths, http, servers, "frank@example.org", password="nope")
        assert str(wrong.value) == "Incorrect password."
    with pytest.raises(ThrottledError) as throttled:
        await sign_in(paths, http, servers, "frank@example.org")  # even the right password
    assert 800 < throttled.value.retry_after <= 900
    assert "wait until" in str(throttled.value)


async def test_a_corrupt_key_bundle_saves_nothing(stack, http, servers, paths, memory_keyring):
    stack.fxa.create_account("gina@example.org", PASSWORD, verification="none")
    stack.fxa.state.corrupt_key_bundles = 1
    with pytest.raises(KeyBundleError):
        await sign_in(paths, http, servers, "gina@example.org")
    assert not paths.account_file.exists()
    assert memory_keyring.entries == {}
    assert stack.fxa.state.sessions == {}  # the half-done session was ended


async def test_clock_skew_is_corrected_once(stack, http, servers, memory_keyring):
    stack.fxa.create_account("hank@example.org", PASSWORD)
    stack.fxa.state.clock_offset = 3600.0  # the server's clock is an hour ahead of ours
    client = FxaClient(http, servers)
    sign_in_result = await client.sign_in("hank@example.org", PASSWORD)
    await client.verify_code(
        sign_in_result.result.session_token, stack.fxa.last_code("hank@example.org")
    )
    assert abs(client.clock_offset - 3600) < 5
    status = await client.session_status(sign_in_result.result.session_token)
    assert status.verified


async def test_already_signed_in_is_refused(stack, http, servers, paths, memory_keyring):
    stack.fxa.create_account("ivy@example.org", PASSWORD, verification="none")
    await sign_in(paths, http, servers, "ivy@example.org")
    with pytest.raises(AuthError, match=r"Already signed in as ivy@example\.org"):
        await sign_in(paths, http, servers, "ivy@example.org")


async def test_no_secret_reaches_the_account_file(stack, http, servers, paths, memory_keyring):
    stack.fxa.create_account("jo@example.org", PASSWORD, verification="none")
    account = await sign_in(paths, http, servers, "jo@example.org")
    text = paths.account_file.read_text()
    stored = secrets.load_account(account.uid)
    assert stored is not None
    for secret in (
        PASSWORD,
        stored.session_token.hex(),
        stored.refresh_token,
        stored.ksync.hex(),
    ):
        assert secret not in text
    assert set(json.loads(text)) == {
        "version",
        "email",
        "uid",
        "device_id",
        "device_name",
        "servers",
        "key_rotation_timestamp",
    }
    assert paths.account_file.stat().st_mode & 0o077 == 0
    for value in (account, stored, secrets.load_pending()):
        assert stored.refresh_token not in repr(value)


async def test_no_secret_reaches_the_logs(stack, http, servers, paths, memory_keyring, caplog):
    caplog.set_level(logging.DEBUG)
    stack.fxa.create_account("lee@example.org", PASSWORD)
    await sign_in(paths, http, servers, "lee@example.org")
    pending = secrets.load_pending()
    assert pending is not None
    code = stack.fxa.last_code("lee@example.org")
    account = await sign_in(paths, http, servers, "lee@example.org", password=None, code=code)
    stored = secrets.load_account(account.uid)
    assert stored is not None
    credentials = account.credentials(http)
    token = await credentials.access_token()
    await credentials.on_unauthorized()
    await account.logout(http)
    assert caplog.records  # the flow did log
    for secret in (
        PASSWORD,
        pending.session_token.hex(),
        pending.key_fetch_token.hex(),
        pending.unwrap_b_key.hex(),
        stored.refresh_token,
        stored.ksync.hex(),
        token,
    ):
        assert secret not in caplog.text


async def test_the_daemon_finishes_with_the_code_alone(stack, http, servers, paths, memory_keyring):
    stack_account = stack.fxa.create_account("max@example.org", PASSWORD)
    assert await sign_in(paths, http, servers, "max@example.org") == CodeRequired("email")
    assert pending_sign_in() == CodeRequired("email")
    code = stack.fxa.last_code("max@example.org")
    account = await login_with_code(paths, http, code=f" {code} ")
    assert_signed_in(account, stack_account, paths, memory_keyring, stack)
    assert pending_sign_in() is None
    with pytest.raises(AuthError, match="Already signed in"):
        await login_with_code(paths, http, code=code)


async def test_without_a_pending_sign_in_a_code_is_refused(http, paths, memory_keyring):
    with pytest.raises(AuthError, match="No sign-in is waiting for a code"):
        await login_with_code(paths, http, code="123456")


async def test_starting_over_ends_the_unconfirmed_session(
    stack, http, servers, paths, memory_keyring
):
    stack.fxa.create_account("ned@example.org", PASSWORD)
    await sign_in(paths, http, servers, "ned@example.org")
    (first_session,) = stack.fxa.state.sessions
    await sign_in(paths, http, servers, "ned@example.org")
    assert first_session not in stack.fxa.state.sessions
    assert len(stack.fxa.state.sessions) == 1


async def test_an_account_with_v2_key_stretching(stack, http, servers, paths, memory_keyring):
    stack_account = stack.fxa.create_account("vic@example.org", PASSWORD, key_stretch_v2=True)
    status = await FxaClient(http, servers).credentials_status("vic@example.org")
    assert status.version == 2 and status.client_salt == stack_account.client_salt
    assert await sign_in(paths, http, servers, "vic@example.org") == CodeRequired("email")
    (key_fetch,) = stack.fxa.state.key_fetch_tokens.values()
    assert key_fetch.stretch_version == 2  # the V2 verifier matched, not the V1 one
    code = stack.fxa.last_code("vic@example.org")
    account = await sign_in(paths, http, servers, "vic@example.org", password=None, code=code)
    assert_signed_in(account, stack_account, paths, memory_keyring, stack)


async def test_unblock_on_a_v2_account(stack, http, servers, paths, memory_keyring):
    stack_account = stack.fxa.create_account("wes@example.org", PASSWORD, key_stretch_v2=True)
    stack.fxa.block_logins("wes@example.org")
    assert await sign_in(paths, http, servers, "wes@example.org") == CodeRequired("unblock")
    code = stack.fxa.last_code("wes@example.org")
    account = await sign_in(paths, http, servers, "wes@example.org", password=None, code=code)
    assert_signed_in(account, stack_account, paths, memory_keyring, stack)


async def test_keys_before_confirmation_keep_the_key_fetch_token(stack, http, servers):
    stack_account = stack.fxa.create_account("uma@example.org", PASSWORD)
    client = FxaClient(http, servers)
    started = await client.sign_in("uma@example.org", PASSWORD)
    token = started.result.key_fetch_token
    assert token is not None
    with pytest.raises(UnverifiedSessionError):
        await client.account_keys(token, started.unwrap_b_key)
    await client.verify_code(started.result.session_token, stack.fxa.last_code("uma@example.org"))
    assert await client.account_keys(token, started.unwrap_b_key) == stack_account.kB


async def test_a_totp_code_given_up_front(stack, http, servers, paths, memory_keyring):
    secret = "KRSXG5CTMVRXEZLU"
    stack_account = stack.fxa.create_account(
        "tia@example.org", PASSWORD, verification="totp", totp_secret=secret
    )
    code = totp.code_at(secret, time.time())
    account = await sign_in(paths, http, servers, "tia@example.org", code=code)
    assert_signed_in(account, stack_account, paths, memory_keyring, stack)


async def test_a_stale_email_code_given_up_front_asks_for_the_new_one(
    stack, http, servers, paths, memory_keyring
):
    stack.fxa.create_account("ray@example.org", PASSWORD)
    result = await sign_in(paths, http, servers, "ray@example.org", code="123456")
    assert result == CodeRequired("email")
    assert secrets.load_pending() is not None
