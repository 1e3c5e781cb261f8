"""``foxbridge logout``: sign out on the server and remove local secrets."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "logout",
        help="sign out and remove local secrets",
        description="Sign this computer out of your Firefox account and delete its secrets "
        "from the OS keyring. Your bookmarks stay where they are.",
    )
    parser.set_defaults(run=run)


async def run(args: argparse.Namespace) -> int:
    import aiohttp

    from daemon.errors import NotSignedInError
    from daemon.fxa import secrets
    from daemon.fxa.account import load_account
    from daemon.paths import default_paths

    try:
        account = load_account(default_paths())
    except NotSignedInError:
        if secrets.load_pending() is not None:
            secrets.delete_pending()
            print("Cancelled the sign-in that was waiting for a code.")
            return 0
        raise
    async with aiohttp.ClientSession() as http:
        reached = await account.logout(http)
    if reached:
        print(f"Signed out of {account.email}.")
    else:
        print(
            f"Signed out of {account.email} on this computer. The account server could not be "
            "reached; you can also remove this device in your account's device list."
        )
    return 0
