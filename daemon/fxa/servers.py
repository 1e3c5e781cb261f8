"""Which servers an account lives on: Mozilla's, or a self-hosted stack.

A self-hoster gives one URL (the content server, which publishes
``/.well-known/fxa-client-configuration``) and ``discover`` finds the rest; someone who
keeps a Mozilla account but hosts only Sync storage replaces the token server with
``ServerConfig.with_token_server``. Plain http is accepted only on loopback addresses,
where nothing can listen in.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from daemon.errors import ExitStatus, FoxbridgeError, NetworkError, ServerError

TOKEN_SERVER_SUFFIX = "/1.0/sync/1.5"  # noqa: S105 - a URL path
# Firefox desktop's public OAuth client. Mozilla's sign-in page speaks the WebChannel only
# to Mozilla's own native clients, so on Mozilla's servers foxbridge presents this one;
# a self-hosted server may register its own and name it here (see README, "Sign in").
FIREFOX_DESKTOP_CLIENT_ID = "5882386c6d801776"
DISCOVERY_PATH = "/.well-known/fxa-client-configuration"
DISCOVERY_TIMEOUT = 30.0  # seconds
MAX_DISCOVERY_BYTES = 64 * 1024  # the real document is well under 1 KiB
_CLIENT_ID_RE = re.compile(r"^[0-9a-f]{16}\Z")


class ServerConfigError(FoxbridgeError):
    """A server URL the user gave (or a discovery document) cannot be used."""

    status = ExitStatus.USAGE


@dataclass(frozen=True)
class ServerConfig:
    content_url: str  # the web UI, e.g. https://accounts.firefox.com
    auth_url: str  # the auth server API, ending with /v1
    oauth_url: str  # the legacy OAuth host, ending with /v1
    profile_url: str  # the profile server, ending with /v1
    token_server_url: str  # ends with /1.0/sync/1.5
    client_id: str = FIREFOX_DESKTOP_CLIENT_ID  # the public OAuth client we present

    def __post_init__(self) -> None:
        if not _CLIENT_ID_RE.match(self.client_id):
            raise ServerConfigError("An OAuth client id is 16 hexadecimal digits.")
        for url in (self.content_url, self.auth_url, self.oauth_url, self.profile_url):
            check_url(url)
        check_url(self.token_server_url)
        if not self.token_server_url.endswith(TOKEN_SERVER_SUFFIX):
            raise ServerConfigError(f"The token server URL must end with {TOKEN_SERVER_SUFFIX}.")

    def with_token_server(self, url: str) -> ServerConfig:
        """The same accounts server with a self-hosted Sync token server."""
        return replace(self, token_server_url=token_server_endpoint(url))

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> ServerConfig:
        names = ("content_url", "auth_url", "oauth_url", "profile_url", "token_server_url")
        if not isinstance(data, dict) or not all(isinstance(data.get(n), str) for n in names):
            raise ServerConfigError("The saved server settings are incomplete.")
        client_id = data.get("client_id", FIREFOX_DESKTOP_CLIENT_ID)
        if not isinstance(client_id, str):
            raise ServerConfigError("The saved server settings are incomplete.")
        return cls(**{name: data[name] for name in names}, client_id=client_id)


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> str:
    """Accept https anywhere and http only on loopback; return the URL without a trailing /."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as error:
        raise ServerConfigError(f"Not a valid server URL: {url!r}.") from error
    if parts.scheme not in ("http", "https") or not host:
        raise ServerConfigError(f"Not a valid server URL: {url!r} (use https://…).")
    if parts.scheme == "http" and not is_loopback(host):
        raise ServerConfigError(
            f"Refusing plain http for {host}: use https (http is only allowed for localhost)."
        )
    if parts.query or parts.fragment:
        raise ServerConfigError(f"A server URL has no query or fragment: {url!r}.")
    return url.rstrip("/")


def _versioned(base: str) -> str:
    base = check_url(base)
    return base if base.endswith("/v1") else base + "/v1"


def token_server_endpoint(url: str) -> str:
    url = check_url(url)
    return url if url.endswith(TOKEN_SERVER_SUFFIX) else url + TOKEN_SERVER_SUFFIX


def config_from_document(content_url: str, document: Any) -> ServerConfig:
    """Build a ``ServerConfig`` from a discovery document (bases without version suffix)."""
    keys = (
        "auth_server_base_url",
        "oauth_server_base_url",
        "profile_server_base_url",
        "sync_tokenserver_base_url",
    )
    if not isinstance(document, dict) or not all(isinstance(document.get(k), str) for k in keys):
        raise ServerConfigError(
            f"{content_url} does not describe a Firefox Accounts server "
            f"(incomplete {DISCOVERY_PATH})."
        )
    return ServerConfig(
        content_url=check_url(content_url),
        auth_url=_versioned(document["auth_server_base_url"]),
        oauth_url=_versioned(document["oauth_server_base_url"]),
        profile_url=_versioned(document["profile_server_base_url"]),
        token_server_url=token_server_endpoint(document["sync_tokenserver_base_url"]),
    )


async def discover(http: aiohttp.ClientSession, server_url: str) -> ServerConfig:
    """Read ``server_url``'s ``/.well-known/fxa-client-configuration``."""
    content_url = check_url(server_url)
    timeout = aiohttp.ClientTimeout(total=DISCOVERY_TIMEOUT)
    try:
        async with http.get(content_url + DISCOVERY_PATH, timeout=timeout) as response:
            if response.status != 200:
                raise ServerError(
                    f"{content_url} did not answer the Firefox Accounts discovery request "
                    f"(HTTP {response.status})."
                )
            raw = await response.content.read(MAX_DISCOVERY_BYTES + 1)
    except aiohttp.ClientError as error:
        raise NetworkError(f"Cannot reach {content_url}: {type(error).__name__}.") from error
    except TimeoutError as error:
        raise NetworkError(f"{content_url} did not answer in time.") from error
    if len(raw) > MAX_DISCOVERY_BYTES:
        raise ServerConfigError(f"{content_url}'s discovery document is too large.")
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as error:  # RecursionError: nested too deeply
        raise ServerConfigError(
            f"{content_url} does not describe a Firefox Accounts server (not JSON)."
        ) from error
    return config_from_document(content_url, document)


MOZILLA = ServerConfig(
    content_url="https://accounts.firefox.com",
    auth_url="https://api.accounts.firefox.com/v1",
    oauth_url="https://oauth.accounts.firefox.com/v1",
    profile_url="https://profile.accounts.firefox.com/v1",
    token_server_url="https://token.services.mozilla.com/1.0/sync/1.5",  # noqa: S106
)


async def choose_servers(
    http: aiohttp.ClientSession, server: str | None = None, token_server: str | None = None
) -> ServerConfig:
    """The servers a sign-in asks for: Mozilla's unless ``server`` names a self-hosted
    stack (discovered), with Sync data on ``token_server`` when one is given."""
    servers = await discover(http, server) if server else MOZILLA
    return servers.with_token_server(token_server) if token_server else servers
