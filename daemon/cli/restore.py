"""``foxbridge restore``: list the snapshots taken before syncs, or put one back.

Restoring makes the browser's bookmarks and folders look as they did in the snapshot
(items added since are removed, deleted ones come back, edits and moves are undone) and
then syncs, so the restored tree reaches the server and your other devices like any
edit you make yourself. With ``--tree-file`` this happens to that file, here; without
it the running daemon restores into the connected browser.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from daemon.errors import ExitStatus
from daemon.paths import Paths


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "restore",
        help="list or restore bookmark snapshots",
        description="List the snapshots foxbridge takes before every sync that changes "
        "something, or restore one: the browser's bookmarks go back to the snapshot, and "
        "that change is then synced to your Firefox account like any other edit.",
    )
    parser.add_argument("snapshot", nargs="?", metavar="ID", help="the snapshot to restore")
    parser.add_argument("--list", action="store_true", help="list the snapshots")
    parser.add_argument(
        "--tree-file", metavar="PATH", type=Path, help="restore into this JSON bookmark file"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(run=run)


async def run(args: argparse.Namespace) -> int:
    from daemon.bookmarks import snapshots
    from daemon.bookmarks.endpoints import FileEndpoint
    from daemon.paths import default_paths

    paths = default_paths()
    if args.list or args.snapshot is None:
        profile = FileEndpoint(args.tree_file).profile_id if args.tree_file else None
        found = snapshots.list_snapshots(paths, profile)
        if args.json:
            print(json.dumps([info.to_json() for info in found]))
        elif not found:
            print("No snapshots yet.")
        for info in [] if args.json else found:
            created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.created / 1000))
            print(
                f"{info.id}  {created}  {info.local_count} in the browser, "
                f"{info.remote_count} on the server  ({info.reason})"
            )
        return ExitStatus.OK
    if args.tree_file is None:
        return await _ask_daemon(paths, args)
    return await _restore_file(paths, args)


async def _ask_daemon(paths: Paths, args: argparse.Namespace) -> int:
    from daemon.service.client import call

    await call(paths, "snapshots.restore", {"id": args.snapshot})
    print("Restored; the browser syncs the restored bookmarks now.")
    return ExitStatus.OK


async def _restore_file(paths: Paths, args: argparse.Namespace) -> int:
    import aiohttp

    from daemon.bookmarks import snapshots
    from daemon.bookmarks.endpoints import FileEndpoint
    from daemon.bookmarks.engine import sync_profile
    from daemon.bookmarks.store import StateStore
    from daemon.fxa.account import load_account
    from daemon.settings import load_settings
    from daemon.sync.client import SyncClient

    endpoint = FileEndpoint(args.tree_file)
    account = load_account(paths)
    changes = await snapshots.restore_into(paths, args.snapshot, endpoint)
    settings = load_settings(paths.settings_file)
    async with aiohttp.ClientSession() as http:
        client = await SyncClient.connect(account.credentials(http), http=http)
        with StateStore.open(paths) as store:
            # The user asked for exactly these deletions: no brake.
            report = await sync_profile(endpoint, client, store, settings, force=True)
    if args.json:
        print(json.dumps({"changes": changes, "sync": report.to_json()}))
    else:
        print(f"Restored snapshot {args.snapshot} ({changes} changes). {report.summary()}")
    return ExitStatus.OK
