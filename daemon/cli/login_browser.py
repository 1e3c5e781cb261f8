"""``foxbridge login --browser``: sign in on the account server's own page.

The page hands its result (a one-time code) only to the browser, over its WebChannel —
the way it talks to Firefox. In Chrome-family browsers the foxbridge extension takes
Firefox's part, so the sign-in runs through the daemon and a browser with the extension:
the daemon starts the flow and asks a connected browser to open the page; this command
waits until the account is signed in. A plain redirect to a loopback address (the usual
way command-line tools receive OAuth codes) works only for an OAuth client registered with
such a redirect, which Mozilla's servers do not offer foxbridge; hence no such path here.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import TYPE_CHECKING

from daemon.errors import ExitStatus, FoxbridgeError

if TYPE_CHECKING:
    from daemon.paths import Paths

WAIT_LIMIT = 15 * 60  # seconds: as long as the daemon keeps the flow
POLL_INTERVAL = 1.0  # seconds between status checks while the user signs in

NEEDS_EXTENSION = (
    "Signing in on your account's own page needs the foxbridge extension in your browser: "
    "the page hands its result only to the browser, and the extension passes it to the "
    "foxbridge daemon (a redirect to this computer would need an OAuth client registered "
    "for one, which Mozilla's servers do not offer foxbridge). {what} Or sign in with "
    "'foxbridge login --email ADDRESS' (your password then goes through foxbridge)."
)


async def run_browser(args: argparse.Namespace) -> int:
    from daemon.paths import default_paths
    from daemon.service.client import DaemonNotRunningError, call

    paths = default_paths()
    params: dict[str, object] = {"open_in_browser": True}
    if args.server:
        params["server"] = args.server
    if args.token_server:
        params["token_server"] = args.token_server
    if args.client_id:
        params["client_id"] = args.client_id
    try:
        begun = await call(paths, "login.web.begin", params)
    except DaemonNotRunningError:
        raise FoxbridgeError(
            NEEDS_EXTENSION.format(
                what="Start the daemon ('foxbridge daemon') and your browser, then try again."
            ),
            status=ExitStatus.USAGE,
        ) from None
    if not begun.get("opened_in"):
        raise FoxbridgeError(
            NEEDS_EXTENSION.format(
                what="No browser with the extension is connected to the daemon: open your "
                "browser, then try again (or use the extension's 'Sign in' button)."
            ),
            status=ExitStatus.USAGE,
        )
    print(
        f"The sign-in page of {begun['origin']} is open in {begun['opened_in']}. "
        "Sign in there; this command waits (up to 15 minutes, Ctrl-C to stop).",
        file=sys.stderr,
    )
    return await _wait_for_sign_in(paths)


async def _wait_for_sign_in(paths: Paths) -> int:
    from daemon.service.client import call

    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline:
        status = await call(paths, "status")
        if status.get("signed_in"):
            print(f"Signed in as {status.get('email')}.")
            return 0
        await asyncio.sleep(POLL_INTERVAL)  # the daemon pushes no events to the CLI
    raise FoxbridgeError(
        "The sign-in on the account page did not finish within 15 minutes. Try again.",
        status=ExitStatus.AUTH,
    )
