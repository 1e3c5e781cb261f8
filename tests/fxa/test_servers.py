"""Server configuration: discovery, storage-only self-hosting, and the http rule."""

from __future__ import annotations

import pytest

from daemon.errors import NetworkError, ServerError
from daemon.fxa.servers import MOZILLA, ServerConfig, ServerConfigError, check_url, discover
from fxstack.faults import Fault


async def test_discovery_against_the_stack(stack, http):
    config = await discover(http, stack.url + "/")
    assert config == ServerConfig(
        content_url=stack.url,
        auth_url=f"{stack.url}/v1",
        oauth_url=f"{stack.url}/oauth/v1",
        profile_url=f"{stack.url}/profile/v1",
        token_server_url=f"{stack.url}/token/1.0/sync/1.5",
    )
    assert ServerConfig.from_dict(config.to_dict()) == config


async def test_discovery_failures_are_plain(stack, http):
    stack.faults.add(Fault("/.well-known/", status=404))
    with pytest.raises(ServerError, match="HTTP 404"):
        await discover(http, stack.url)
    stack.faults.add(Fault("/.well-known/", status=200, body={"auth_server_base_url": 3}))
    with pytest.raises(ServerConfigError, match="does not describe a Firefox Accounts server"):
        await discover(http, stack.url)


def test_storage_only_self_hosting() -> None:
    config = MOZILLA.with_token_server("https://sync.example.org/token")
    assert config.token_server_url == "https://sync.example.org/token/1.0/sync/1.5"
    assert config.auth_url == "https://api.accounts.firefox.com/v1"
    same = MOZILLA.with_token_server("https://sync.example.org/token/1.0/sync/1.5")
    assert same == config


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8765", "http://localhost", "http://[::1]:9", "https://a.example"]
)
def test_allowed_urls(url: str) -> None:
    assert check_url(url + "/") == url


@pytest.mark.parametrize(
    "url", ["http://accounts.example.org", "http://10.0.0.1", "ftp://x.org", "https://", "x"]
)
def test_refused_urls(url: str) -> None:
    with pytest.raises(ServerConfigError):
        check_url(url)


async def test_a_server_that_never_answers_discovery_is_a_network_error(stack, http, monkeypatch):
    import asyncio

    import daemon.fxa.servers as servers_module

    never = asyncio.Event()

    async def hang(request) -> None:
        await never.wait()

    monkeypatch.setattr(servers_module, "DISCOVERY_TIMEOUT", 0.2)
    stack.faults.add(Fault("/.well-known/", before=hang))
    with pytest.raises(NetworkError, match="did not answer in time"):
        await discover(http, stack.url)


async def test_an_oversized_discovery_document_is_refused(stack, http):
    stack.faults.add(Fault("/.well-known/", status=200, body={"padding": "x" * 300_000}))
    with pytest.raises(ServerConfigError, match="too large"):
        await discover(http, stack.url)


async def test_a_discovery_document_nested_too_deeply_is_refused(aiohttp_server, http):
    from aiohttp import web

    async def deep(request: web.Request) -> web.Response:
        return web.Response(text="[" * 50_000, content_type="application/json")

    app = web.Application()
    app.router.add_get("/.well-known/fxa-client-configuration", deep)
    server = await aiohttp_server(app)
    with pytest.raises(ServerConfigError, match="not JSON"):
        await discover(http, str(server.make_url("")))
