"""Helpers for the FxA client tests: an HTTP session and the stack's server config."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from daemon.fxa.servers import ServerConfig, discover
from daemon.paths import Paths, default_paths

PASSWORD = "correct horse battery staple"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def servers(stack, http: aiohttp.ClientSession) -> ServerConfig:
    return await discover(http, stack.url)


@pytest.fixture
def paths(foxbridge_home, memory_keyring) -> Paths:
    return default_paths()
