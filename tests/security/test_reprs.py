"""No object of foxbridge's shows a secret in its ``repr`` or ``str``.

A password sign-in and a Sync session run in this process against the local stack;
then every live object from foxbridge's own modules is rendered as a log line or a
traceback would render it, and none may contain the password, a token or a key.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from daemon.fxa.account import Account
from daemon.fxa.login import login_with_password
from daemon.fxa.servers import discover
from daemon.paths import default_paths
from daemon.sync.client import SyncClient

EMAIL = "repr@example.org"
PASSWORD = "the password nobody may print"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def _spellings(secret: bytes | str) -> set[str]:
    if isinstance(secret, str):
        out = {secret}
        try:
            secret = bytes.fromhex(secret)
        except ValueError:
            return out
    else:
        out = set()
    out |= {secret.hex(), base64.b64encode(secret).decode(), repr(secret)[2:-1]}
    out.add(base64.urlsafe_b64encode(secret).decode().rstrip("="))
    return {s for s in out if len(s) >= 16}


def _renderings(obj: object) -> list[str]:
    out = []
    for render in (repr, str):
        # An object half torn down may fail to render: then there is nothing to see.
        with contextlib.suppress(Exception):
            out.append(render(obj))
    return out


async def test_no_repr_shows_a_secret(stack, http, foxbridge_home, memory_keyring) -> None:
    stack.fxa.create_account(EMAIL, PASSWORD, verification="none")
    issued: list[str] = []
    state = stack.fxa.state
    original = state.issue_access_token

    def recording(*args, **kwargs):
        token = original(*args, **kwargs)
        issued.append(token)
        return token

    state.issue_access_token = recording  # type: ignore[method-assign]
    servers = await discover(http, stack.url)
    account = await login_with_password(
        default_paths(), http, email=EMAIL, password=PASSWORD, servers=servers
    )
    assert isinstance(account, Account)
    credentials = account.credentials(http)
    client = await SyncClient.connect(credentials, http=http)
    await client.info_collections()
    await client.collection_keys()

    secrets: set[str] = {PASSWORD}
    for stored in memory_keyring.entries.values():
        for value in json.loads(stored).values():
            if isinstance(value, str):
                secrets |= _spellings(value)
                with contextlib.suppress(ValueError):
                    secrets |= _spellings(base64.b64decode(value, validate=True))
    for token in issued:
        secrets |= _spellings(token)
    storage_token = client.storage._token
    assert storage_token is not None
    secrets |= _spellings(storage_token.id) | _spellings(storage_token.key)
    assert len(secrets) > 10

    checked = 0
    leaks: list[str] = []
    for obj in gc.get_objects():
        module = getattr(type(obj), "__module__", "")
        if not (isinstance(module, str) and module.startswith("daemon.")):
            continue
        checked += 1
        for text in _renderings(obj):
            if any(secret in text for secret in secrets):
                leaks.append(f"{type(obj).__qualname__}: {text[:80]}")
    assert checked > 10
    assert not leaks, leaks
