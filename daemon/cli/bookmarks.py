"""``foxbridge bookmarks list``: the account's bookmark records, decrypted."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from daemon.cli.text import printable


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bookmarks",
        help="show the bookmarks stored in the account",
        description="Work with the bookmarks stored in your Firefox Account.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list",
        help="list the decrypted bookmark records on the server",
        description="Download and decrypt the account's bookmark records and list them. "
        "Records that cannot be read are reported on stderr.",
    )
    listing.add_argument("--json", action="store_true", help="print the records as JSON")
    listing.set_defaults(run=run)


async def run(args: argparse.Namespace) -> int:
    from daemon.paths import default_paths
    from daemon.sync.session import account_session

    async with account_session(default_paths()) as client:
        download = await client.download("bookmarks")
    records = sorted(download.records, key=lambda record: record.id)
    if args.json:
        listing = [{**r.cleartext, "modified": r.modified} for r in records]
        print(json.dumps(listing, indent=2, ensure_ascii=False))
    elif not records:
        print("The account has no bookmarks yet.")
    else:
        for record in records:
            print(_describe(record.cleartext))
    for skipped in download.skipped:
        print(
            f"foxbridge: skipped record {printable(skipped.id)}: {printable(skipped.reason)}",
            file=sys.stderr,
        )
    return 0


def _describe(cleartext: dict[str, Any]) -> str:
    """One line: id, kind, title and (for bookmarks) the URL; safe to print."""
    kind = "deleted" if cleartext.get("deleted") else str(cleartext.get("type", "?"))
    parts = [str(cleartext.get("id")), kind]
    if cleartext.get("title"):
        parts.append(str(cleartext["title"]))
    if cleartext.get("bmkUri"):
        parts.append(str(cleartext["bmkUri"]))
    return printable("  ".join(parts))
