"""``foxbridge status``: who is signed in, on which servers, and whether it still works."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from daemon.errors import ExitStatus, FoxbridgeError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show the account, device, servers and last sync",
        description="Show the signed-in account, this device, the servers and the last sync. "
        "Never shows a secret.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--offline", action="store_true", help="do not ask the account server about the session"
    )
    parser.set_defaults(run=run)


def _pending() -> dict[str, str] | None:
    """The sign-in waiting for a code, if any (its email and the kind of code)."""
    from daemon.fxa import secrets

    try:
        pending = secrets.load_pending()
    except FoxbridgeError:
        return None
    return None if pending is None else {"email": pending.email, "kind": pending.kind}


def _last_sync(paths: Any) -> dict[str, Any] | None:
    from daemon.bookmarks.store import read_last_sync

    return read_last_sync(paths)


def _when(ms: Any) -> str:
    if not isinstance(ms, int | float):
        return "at an unknown time"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ms / 1000))


async def _session_state(account: Any) -> str | None:
    """verified / unconfirmed / signed-out / unreachable / no-secrets."""
    import aiohttp

    from daemon.errors import NetworkError
    from daemon.fxa.client import FxaClient
    from daemon.fxa.errors import InvalidTokenError

    try:
        stored = account.secrets()
    except FoxbridgeError:
        return "no-secrets"
    if stored.session_token is None:
        return None  # a web sign-in holds OAuth tokens only: nothing to ask about
    async with aiohttp.ClientSession() as http:
        try:
            status = await FxaClient(http, account.servers).session_status(stored.session_token)
        except InvalidTokenError:
            return "signed-out"
        except NetworkError:
            return "unreachable"
    return "verified" if status.verified else "unconfirmed"


def describe(account: Any, session: str | None, last_sync: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "signed_in": True,
        "email": account.email,
        "uid": account.uid,
        "device": {"id": account.device_id, "name": account.device_name},
        "servers": account.servers.to_dict(),
        "session": session,
        "tokens_fresh": session == "verified" if session is not None else None,
    }
    if last_sync is not None:
        report["last_sync"] = last_sync
    return report


def _text(report: dict[str, Any]) -> str:
    servers = report["servers"]
    session = {
        "verified": "valid",
        "unconfirmed": "waiting for confirmation",
        "signed-out": "ended by the server: run 'foxbridge login' again",
        "unreachable": "unknown (the account server cannot be reached)",
        "no-secrets": "missing from the OS keyring: run 'foxbridge login' again",
        None: "not checked",
    }[report["session"]]
    lines = [
        f"Signed in as   {report['email']}",
        f"This device    {report['device']['name']}",
        f"Accounts       {servers['auth_url']}",
        f"Sync tokens    {servers['token_server_url']}",
        f"Session        {session}",
    ]
    last = report.get("last_sync")
    if isinstance(last, dict):
        result = "ok" if last.get("ok") else "failed"
        summary = f": {last['summary']}" if last.get("summary") else ""
        lines.append(f"Last sync      {_when(last.get('at'))}, {result}{summary}")
    else:
        lines.append("Last sync      never")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> int:
    from daemon.errors import NotSignedInError
    from daemon.fxa.account import load_account
    from daemon.paths import default_paths

    paths = default_paths()
    try:
        account = load_account(paths)
    except NotSignedInError as error:
        waiting = _pending()
        if args.json:
            print(json.dumps({"signed_in": False, **({"pending": waiting} if waiting else {})}))
            return int(ExitStatus.NOT_SIGNED_IN)
        if waiting:
            raise NotSignedInError(
                f"Not signed in: the sign-in of {waiting['email']} waits for a {waiting['kind']} "
                f"code (foxbridge login --email {waiting['email']} --code CODE)."
            ) from error
        raise error
    session = None if args.offline else await _session_state(account)
    report = describe(account, session, _last_sync(paths))
    print(json.dumps(report, indent=1, default=str) if args.json else _text(report))
    return 0
