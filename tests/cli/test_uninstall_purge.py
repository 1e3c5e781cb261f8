"""``foxbridge uninstall --purge`` signs this computer out on the account server before it
deletes the local secrets: otherwise a live refresh token and a device record would stay
on the account with nobody holding them."""

from __future__ import annotations

import aiohttp

from daemon.cli.install_cmd import purge_data
from daemon.fxa.account import Account
from daemon.fxa.login import login_with_password
from daemon.fxa.servers import ServerConfig, discover
from daemon.paths import default_paths

PASSWORD = "a purge-worthy password"


async def test_purge_signs_out_on_the_server(stack, foxbridge_home, memory_keyring):
    paths = default_paths()
    stack.fxa.create_account("purge@example.org", PASSWORD, verification="none")
    async with aiohttp.ClientSession() as http:
        account = await login_with_password(
            paths,
            http,
            email="purge@example.org",
            password=PASSWORD,
            servers=await discover(http, stack.url),
        )
    assert isinstance(account, Account)
    assert account.device_id in stack.fxa.state.devices

    lines = await purge_data(paths)

    assert lines[0] == "✓ signed out of purge@example.org on the account server"
    assert account.device_id not in stack.fxa.state.devices
    assert not any(t.uid == account.uid for t in stack.fxa.state.refresh_tokens.values())
    assert memory_keyring.entries == {}
    assert not paths.config_dir.exists()


async def test_purge_while_the_server_is_unreachable(
    foxbridge_home, memory_keyring, unused_tcp_port
):
    from daemon.fxa import secrets
    from daemon.fxa.account import store_account

    paths = default_paths()
    base = f"http://127.0.0.1:{unused_tcp_port}"
    servers = ServerConfig(base, f"{base}/v1", f"{base}/v1", f"{base}/v1", f"{base}/1.0/sync/1.5")
    account = Account(paths, "away@example.org", "ab" * 16, None, "d", servers, 1)
    store_account(account, secrets.AccountSecrets(None, "cd" * 32, bytes(64), "1-abc"))

    lines = await purge_data(paths)

    assert lines[0].startswith("· could not reach the account server")
    assert memory_keyring.entries == {}
    assert not paths.config_dir.exists()


async def test_purge_without_a_keyring_or_an_account_is_not_an_error(foxbridge_home):
    import keyring
    import keyring.backends.fail

    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        default_paths().ensure()
        lines = await purge_data(default_paths())
    finally:
        keyring.set_keyring(previous)
    assert lines[0] == "· no usable OS keyring here, and no account to remove from it"
    assert not any(line.startswith("✗") for line in lines)
