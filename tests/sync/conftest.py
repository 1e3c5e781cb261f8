"""Fixtures for the Sync client tests: an account on the local stack and a session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from daemon.fxa.credentials import StaticCredentials, SyncKey
from daemon.sync.client import SyncClient


@pytest.fixture
def account(stack):
    return stack.fxa.create_account("sync@example.com", "correct horse battery staple")


@pytest.fixture
def credentials(stack, account) -> StaticCredentials:
    return StaticCredentials(
        token_server_url=f"{stack.url}/token",
        sync_key=SyncKey(account.ksync, account.kid),
        token=stack.fxa.issue_access_token(account.uid),
    )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def client(credentials, http) -> SyncClient:
    return await SyncClient.connect(credentials, http=http)
