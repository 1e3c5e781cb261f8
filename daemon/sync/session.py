"""A Sync session for the signed-in account, for commands that need one briefly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from daemon.fxa.account import load_account
from daemon.paths import Paths
from daemon.sync.client import SyncClient


@asynccontextmanager
async def account_session(paths: Paths) -> AsyncIterator[SyncClient]:
    """Connect as the signed-in account (``NotSignedInError`` when there is none)."""
    account = load_account(paths)
    async with aiohttp.ClientSession() as http:
        yield await SyncClient.connect(account.credentials(http), http=http)
