"""``foxbridge collections``: the account's Sync collections and when each last changed."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from daemon.cli.text import printable


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "collections",
        help="list the account's Sync collections",
        description="List the Sync collections of the signed-in account with the time each "
        "last changed (what the server reports; nothing is decrypted).",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(run=run)


async def run(args: argparse.Namespace) -> int:
    from daemon.paths import default_paths
    from daemon.sync.session import account_session

    async with account_session(default_paths()) as client:
        collections = await client.info_collections()
    if args.json:
        print(json.dumps(dict(sorted(collections.items())), indent=2))
        return 0
    if not collections:
        print("The account has no Sync data yet.")
        return 0
    names = {name: printable(name) for name in collections}
    width = max(len(shown) for shown in names.values())
    for name, modified in sorted(collections.items()):
        print(f"{names[name]:<{width}}  {_utc(modified)}  ({modified:.2f})")
    return 0


def _utc(seconds: float) -> str:
    """A server time as a UTC date; the server may send one no calendar holds."""
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, ValueError, OSError):
        return "(a time beyond the calendar)"
