"""``foxbridge sync``: sync now.

With ``--tree-file PATH`` the command syncs a JSON file in ``chrome.bookmarks.getTree()``
shape (one "browser profile") with the signed-in account itself, and writes the merged
tree back to the file atomically. Without it, it asks the running daemon to sync the
connected browsers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from daemon.cli.text import printable
from daemon.errors import ExitStatus


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sync",
        help="sync bookmarks now",
        description="Sync bookmarks with your Firefox account now. With --tree-file, sync a "
        "bookmark tree kept in a JSON file (the shape chrome.bookmarks.getTree() returns) "
        "instead of the connected browsers; a missing file is an empty profile.",
    )
    parser.add_argument("--tree-file", metavar="PATH", type=Path, help="sync this JSON file")
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would change; change nothing"
    )
    parser.add_argument(
        "--force", action="store_true", help="apply even if the safety brake would stop it"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(run=run)


async def run(args: argparse.Namespace) -> int:
    if args.tree_file is None:
        return await _ask_daemon(args)
    return await _sync_file(args)


async def _ask_daemon(args: argparse.Namespace) -> int:
    from daemon.paths import default_paths

    if args.dry_run:
        from daemon.errors import FoxbridgeError

        raise FoxbridgeError("--dry-run needs --tree-file.", status=ExitStatus.USAGE)
    try:
        from daemon.service.client import call
    except ImportError:
        from daemon.errors import FoxbridgeError

        raise FoxbridgeError(
            "Syncing through the daemon is not available in this version; use --tree-file."
        ) from None
    method = "sync.confirm" if args.force else "sync.now"
    result = await call(default_paths(), method, {})
    if args.json:
        print(json.dumps(result))
        return ExitStatus.OK
    profiles = result.get("profiles") if isinstance(result, dict) else None
    if isinstance(result, dict) and not result.get("started", True):
        print("The daemon will sync as soon as it may (it is paused or backing off).")
    elif profiles == 0:
        print("No browser is connected; the daemon checked the server for changes.")
    else:
        print("Sync started.")
    return ExitStatus.OK


async def _sync_file(args: argparse.Namespace) -> int:
    import aiohttp

    from daemon.bookmarks.brake import SafetyBrakeError
    from daemon.bookmarks.endpoints import FileEndpoint
    from daemon.bookmarks.engine import STEPS, sync_profile
    from daemon.bookmarks.snapshots import Snapshots
    from daemon.bookmarks.store import StateStore
    from daemon.fxa.account import load_account
    from daemon.paths import default_paths
    from daemon.settings import load_settings
    from daemon.sync.client import SyncClient

    paths = default_paths()
    account = load_account(paths)
    paths.ensure()
    settings = load_settings(paths.settings_file)
    endpoint = FileEndpoint(args.tree_file)

    show_progress = sys.stderr.isatty() and not args.json

    def progress(done: int, total: int) -> None:
        if show_progress:
            print(f"\r{STEPS[done - 1]:>10} {done}/{total}", end="", file=sys.stderr, flush=True)

    async with aiohttp.ClientSession() as http:
        client = await SyncClient.connect(account.credentials(http), http=http)
        with StateStore.open(paths) as store:
            try:
                report = await sync_profile(
                    endpoint,
                    client,
                    store,
                    settings,
                    dry_run=args.dry_run,
                    force=args.force,
                    progress=progress,
                    snapshots=Snapshots(paths.snapshots_dir, keep=settings.snapshots_keep),
                )
            except SafetyBrakeError as error:
                _print_brake(error, as_json=args.json)
                return ExitStatus.SAFETY_BRAKE
            finally:
                if show_progress:
                    print("\r" + " " * 20 + "\r", end="", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        _print_report(report)
    return ExitStatus.OK


def _print_brake(error: Any, *, as_json: bool) -> None:
    preview = error.preview
    if as_json:
        print(json.dumps({"brake": preview.to_status(), "message": error.message}))
    print(f"foxbridge: {error.message}", file=sys.stderr)
    for title in preview.titles[:10]:
        print(f"  would delete: {printable(title)}", file=sys.stderr)
    if len(preview.titles) > 10:
        print(f"  … and {len(preview.titles) - 10} more", file=sys.stderr)


def _print_report(report: Any) -> None:
    print(report.summary())
    if report.dry_run:
        for op in report.ops:
            detail = op.get("title") or op.get("url") or ""
            target = op.get("id") or op.get("ref")
            print(printable(f"  browser: {op['op']} {target} {detail}".rstrip()))
        for record in report.records:
            action = "delete" if record["deleted"] else "write"
            print(printable(f"  server: {action} {record['id']}"))
        if report.brake:
            print(
                "  the safety brake would stop this sync "
                f"({report.brake['deletions']} deletions); --force applies it"
            )
    elif report.snapshot:
        print(f"Snapshot taken before the sync: {report.snapshot}")
