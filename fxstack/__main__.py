"""``foxbridge-stack``: run the local accounts + Sync stack by hand.

    foxbridge-stack --port 8765 --account alice@example.org 'correct horse'

prints the stack's URL and every email the stack "sends" (sign-in and unblock codes),
so that a person can sign in with ``foxbridge login --server URL`` and type the code.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from fxstack.app import build_stack
from fxstack.fxa import Email


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="foxbridge-stack",
        description="A local Firefox Accounts + Sync 1.5 server for tests and experiments.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    parser.add_argument("--db", type=Path, help="Sync storage SQLite file (default: in memory)")
    parser.add_argument(
        "--account",
        nargs=2,
        action="append",
        default=[],
        metavar=("EMAIL", "PASSWORD"),
        help="create an account (confirmed by emailed codes); may be repeated",
    )
    parser.add_argument(
        "--no-confirmation",
        action="store_true",
        help="accounts created with --account sign in without a confirmation code",
    )
    return parser.parse_args(argv)


def print_email(message: Email) -> None:
    print(f"[mail] to {message.to}: {message.subject}: {message.code}", flush=True)


async def serve(args: argparse.Namespace) -> None:
    stack = build_stack(storage_db=args.db)
    stack.fxa.state.email_listeners.append(print_email)
    runner = web.AppRunner(stack.app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    host, port = runner.addresses[0][:2]
    stack.url = f"http://{host}:{port}"
    for email, password in args.account:
        verification = "none" if args.no_confirmation else "email-otp"
        account = stack.fxa.create_account(email, password, verification=verification)
        print(f"[account] {account.email} (uid {account.uid})", flush=True)
    print(f"foxbridge-stack listening on {stack.url}", flush=True)
    print(f"  sign in with: foxbridge login --server {stack.url} --email EMAIL", flush=True)
    try:
        await asyncio.Event().wait()  # until interrupted
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        try:
            asyncio.run(serve(args))
        except OSError as error:
            print(
                f"foxbridge-stack: cannot listen on {args.host}:{args.port}: {error.strerror}",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
