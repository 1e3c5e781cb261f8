"""``foxbridge doctor``: check every piece and explain what is wrong, one line each.

Registrations, the launcher, the daemon, autostart and sandboxed browsers are checked by
``install.doctor``; the keyring and the servers here. Exit status 1 when anything is
wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from daemon.errors import ExitStatus, FoxbridgeError, KeyringUnavailableError, NotSignedInError

if TYPE_CHECKING:
    import aiohttp

    from daemon.fxa.servers import ServerConfig
    from daemon.paths import Paths
    from install.doctor import Check

SERVER_TIMEOUT = 15.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check the installation, daemon, keyring and servers",
        description="Check each piece of foxbridge and explain what to do about any problem.",
    )
    parser.add_argument(
        "--server",
        metavar="URL",
        help="check this Firefox Accounts server instead of the signed-in account's",
    )
    parser.set_defaults(run=run)


async def run(args: argparse.Namespace) -> int:
    from daemon.paths import default_paths
    from install.commands import SubprocessRunner
    from install.doctor import InstallationDoctor, Level
    from install.layout import Layout
    from install.machine import OS
    from install.registry import MemoryRegistry, WindowsRegistry

    paths = default_paths()
    layout = Layout.current(paths, Path(sys.executable))
    registry = WindowsRegistry() if layout.machine.os is OS.WINDOWS else MemoryRegistry()
    checks = InstallationDoctor(layout, SubprocessRunner(), registry).checks()
    checks.append(keyring_check())
    checks += await server_checks(paths, args.server)
    for check in checks:
        print(check.line())
    failures = sum(check.level is Level.FAIL for check in checks)
    if failures:
        print(f"{failures} problem{'s' if failures > 1 else ''} found.")
        return int(ExitStatus.FAILURE)
    print("All good.")
    return int(ExitStatus.OK)


def keyring_check() -> Check:
    """Whether the OS keyring answers, asking it for an entry that holds no secret."""
    import keyring

    from daemon.fxa import secrets
    from install.doctor import Check, Level

    try:
        secrets.check_available()
    except KeyringUnavailableError as error:
        return Check(Level.FAIL, "the OS keyring is not usable", error.message)
    backend = type(keyring.get_keyring())
    return Check(Level.OK, f"OS keyring usable ({backend.__module__}.{backend.__name__})")


async def server_checks(paths: Paths, server: str | None) -> list[Check]:
    import aiohttp

    from daemon.fxa.account import load_account
    from daemon.fxa.servers import MOZILLA, discover
    from install.doctor import Check, Level

    timeout = aiohttp.ClientTimeout(total=SERVER_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        results: list[Check] = []
        if server:
            try:
                config = await discover(http, server)
            except FoxbridgeError as error:
                return [Check(Level.FAIL, f"server {server}", error.message)]
            results.append(Check(Level.OK, f"{server} describes a Firefox Accounts server"))
        else:
            try:
                config = load_account(paths).servers
                results.append(Check(Level.INFO, "checking the signed-in account's servers"))
            except NotSignedInError:
                config = MOZILLA
                results.append(Check(Level.INFO, "not signed in: checking Mozilla's servers"))
        results += [await _reachable(http, name, url) for name, url in _urls(config)]
        return results


def _urls(config: ServerConfig) -> list[tuple[str, str]]:
    return [("accounts server", config.auth_url), ("token server", config.token_server_url)]


async def _reachable(http: aiohttp.ClientSession, name: str, url: str) -> Check:
    """Any HTTP answer means the server is reachable; only a failed connection is not."""
    import aiohttp

    from install.doctor import Check, Level

    try:
        async with http.get(url, allow_redirects=False) as response:
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as error:
        reason = type(error).__name__
        return Check(
            Level.FAIL,
            f"the {name} {url} is unreachable ({reason})",
            "check your network connection, proxy or firewall",
        )
    if status >= 500:
        return Check(
            Level.FAIL, f"the {name} {url} answers with errors (HTTP {status})", "try again later"
        )
    return Check(Level.OK, f"{name} reachable: {url}")
