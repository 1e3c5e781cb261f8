"""The signed-in account against the stack: fresh access tokens, disconnects, sign-out."""

from __future__ import annotations

import pytest

from daemon.errors import NotSignedInError
from daemon.fxa import secrets
from daemon.fxa.account import Account, SignedOutError, load_account
from daemon.fxa.login import login_with_password
from tests.fxa.conftest import PASSWORD


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def account(stack, http, servers, paths, memory_keyring) -> Account:
    stack.fxa.create_account("kim@example.org", PASSWORD, verification="none")
    signed_in = await login_with_password(
        paths, http, email="kim@example.org", password=PASSWORD, servers=servers
    )
    assert isinstance(signed_in, Account)
    return signed_in


async def assert_valid(stack, token: str, uid: str) -> None:
    verified = await stack.fxa.verify_access_token(token)
    assert verified is not None and verified.uid == uid


def assert_signed_out_locally(paths, memory_keyring) -> None:
    assert not paths.account_file.exists()
    assert memory_keyring.entries == {}
    with pytest.raises(NotSignedInError):
        load_account(paths)


async def test_credentials_describe_the_account(stack, http, account, paths):
    credentials = load_account(paths).credentials(http)
    assert credentials.token_server_url == f"{stack.url}/token/1.0/sync/1.5"
    stack_account = stack.fxa.state.accounts[account.uid]
    assert credentials.sync_key.ksync == stack_account.ksync
    assert credentials.sync_key.kid == stack_account.kid
    assert "refresh" not in repr(credentials) and stack_account.ksync.hex() not in repr(credentials)


async def test_access_token_is_reused_then_renewed_before_expiry(stack, http, account):
    clock = ManualClock()
    credentials = account.credentials(http)
    credentials.clock = clock
    first = await credentials.access_token()
    assert await credentials.access_token() == first
    await assert_valid(stack, first, account.uid)
    clock.now += 3600 - 60  # a minute before expiry: inside the renewal margin
    second = await credentials.access_token()
    assert second != first
    await assert_valid(stack, second, account.uid)


async def test_unauthorized_gets_a_new_token(stack, http, account):
    credentials = account.credentials(http)
    first = await credentials.access_token()
    stack.fxa.expire_access_tokens(account.uid)  # what the tokenserver then answers 401 for
    assert await stack.fxa.verify_access_token(first) is None
    await credentials.on_unauthorized()
    second = await credentials.access_token()
    assert second != first
    await assert_valid(stack, second, account.uid)


async def test_disconnecting_the_device_signs_out_cleanly(
    stack, http, account, paths, memory_keyring
):
    credentials = account.credentials(http)
    await credentials.access_token()
    assert stack.fxa.disconnect_device(account.device_id)
    with pytest.raises(SignedOutError) as raised:
        await credentials.access_token(force_refresh=True)
    assert "signed out" in str(raised.value)
    assert_signed_out_locally(paths, memory_keyring)


async def test_a_device_removed_from_the_list_is_noticed(
    stack, http, account, paths, memory_keyring
):
    credentials = account.credentials(http)
    del stack.fxa.state.devices[account.device_id]  # session and refresh token still valid
    with pytest.raises(SignedOutError):
        await credentials.on_unauthorized()
    assert_signed_out_locally(paths, memory_keyring)


async def test_another_device_without_a_name_does_not_break_the_check(stack, http, account, paths):
    """The account server allows an empty device name (older devices registered with
    one); the device check only needs the ids."""
    from fxstack.faults import Fault

    nameless = {"id": "ab" * 16, "name": "", "type": "mobile", "isCurrentDevice": False}
    ours = {"id": account.device_id, "name": account.device_name, "isCurrentDevice": True}
    stack.faults.add(Fault("/v1/account/devices", status=200, body=[nameless, ours]))
    await account.credentials(http).on_unauthorized()  # still connected: no error
    assert paths.account_file.exists()


async def test_logout_ends_tokens_on_the_server(stack, http, account, paths, memory_keyring):
    credentials = account.credentials(http)
    token = await credentials.access_token()
    assert await account.logout(http) is True
    assert stack.fxa.state.sessions == {}
    assert stack.fxa.state.refresh_tokens == {}
    assert await stack.fxa.verify_access_token(token) is None  # revoked with its refresh token
    assert_signed_out_locally(paths, memory_keyring)


async def test_logout_after_a_disconnect_still_cleans_up(
    stack, http, account, paths, memory_keyring
):
    stack.fxa.disconnect_device(account.device_id)
    assert await account.logout(http) is True
    assert_signed_out_locally(paths, memory_keyring)


async def test_logout_while_offline_removes_local_secrets(
    http, account, paths, memory_keyring, stack
):
    from fxstack.faults import Fault

    stack.faults.add(Fault("/v1/", drop=True, times=10))
    assert await account.logout(http) is False
    assert_signed_out_locally(paths, memory_keyring)


async def test_missing_keyring_entry_is_a_plain_error(http, account, memory_keyring):
    secrets.delete_account(account.uid)
    with pytest.raises(NotSignedInError, match="no foxbridge secrets"):
        account.credentials(http)


async def test_an_account_without_a_session(stack, http, servers, paths, memory_keyring):
    """After a web sign-in only OAuth tokens exist: they are enough, and logout works."""
    from daemon.fxa.account import store_account
    from daemon.fxa.client import FIREFOX_DESKTOP_CLIENT_ID, OLDSYNC_SCOPE

    stack_account = stack.fxa.create_account("web@example.org", PASSWORD)
    refresh = stack.fxa.state.issue_refresh_token(
        stack_account.uid, FIREFOX_DESKTOP_CLIENT_ID, (OLDSYNC_SCOPE,), None
    )
    account = Account(
        paths=paths,
        email=stack_account.email,
        uid=stack_account.uid,
        device_id=None,
        device_name="Chrome on test",
        servers=servers,
        key_rotation_timestamp=stack_account.key_rotation_timestamp,
    )
    store_account(
        account,
        secrets.AccountSecrets(
            session_token=None,
            refresh_token=refresh,
            ksync=stack_account.ksync,
            kid=stack_account.kid,
        ),
    )
    credentials = load_account(paths).credentials(http)
    await assert_valid(stack, await credentials.access_token(), stack_account.uid)
    await credentials.on_unauthorized()
    assert await load_account(paths).logout(http) is True
    assert stack.fxa.state.refresh_tokens == {}
    assert_signed_out_locally(paths, memory_keyring)


async def test_a_password_reset_elsewhere_signs_out_and_changes_the_keys(
    stack, http, servers, account, paths, memory_keyring
):
    credentials = account.credentials(http)
    await credentials.access_token()
    old_kid = credentials.sync_key.kid
    reset = stack.fxa.reset_password("kim@example.org", "a brand new password")
    with pytest.raises(SignedOutError):
        await credentials.access_token(force_refresh=True)
    assert_signed_out_locally(paths, memory_keyring)
    again = await login_with_password(
        paths, http, email="kim@example.org", password="a brand new password", servers=servers
    )
    assert isinstance(again, Account) and again.uid == account.uid
    fresh = again.credentials(http)
    assert fresh.sync_key.kid == reset.kid != old_kid
    assert fresh.sync_key.ksync == reset.ksync != credentials.sync_key.ksync


@pytest.mark.parametrize("text", ["not json", "[" * 100_000, "[]", '{"version": 1}'])
def test_a_damaged_account_file_is_not_signed_in(paths, text):
    paths.ensure()
    paths.account_file.write_text(text)
    with pytest.raises(NotSignedInError, match="Run 'foxbridge login' again"):
        load_account(paths)
