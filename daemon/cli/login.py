"""``foxbridge login``: sign in with an email and password (and a code when asked)."""

from __future__ import annotations

import argparse
import getpass
import sys

from daemon.errors import ExitStatus, FoxbridgeError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "login",
        help="sign in to your Firefox account",
        description="Sign in with your Firefox account's email and password. When the server "
        "asks for a confirmation code, run the same command again with --code. With --browser, "
        "sign in on the account server's own page instead, in a browser with the foxbridge "
        "extension (no password passes through foxbridge).",
    )
    parser.add_argument("--email", help="your account's email address")
    parser.add_argument(
        "--browser",
        action="store_true",
        help="sign in on the account's own page, in a browser with the extension",
    )
    parser.add_argument(
        "--client-id",
        metavar="ID",
        help="with --browser: the OAuth client id registered on a self-hosted server",
    )
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    parser.add_argument("--code", help="the confirmation, two-step or unblock code you received")
    parser.add_argument(
        "--server", metavar="URL", help="a self-hosted accounts server (its content URL)"
    )
    parser.add_argument("--token-server", metavar="URL", help="a self-hosted Sync token server")
    parser.add_argument("--device-name", help="how this computer appears in your device list")
    parser.set_defaults(run=run)


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    elif not sys.stdin.isatty():
        # getpass would fall back to echoing the password from a pipe, or fail at its end.
        raise FoxbridgeError(
            "No terminal to ask for the password on: pass it with --password-stdin.",
            status=ExitStatus.USAGE,
        )
    else:
        try:
            password = getpass.getpass("Firefox account password: ")
        except EOFError:  # Ctrl-D at the prompt
            password = ""
    if not password:
        raise FoxbridgeError("No password given.", status=ExitStatus.USAGE)
    return password


async def run(args: argparse.Namespace) -> int:
    import aiohttp

    from daemon.fxa import secrets
    from daemon.fxa.login import CodeRequired, login_with_password
    from daemon.fxa.servers import ServerConfig, choose_servers
    from daemon.paths import default_paths

    if args.browser:
        from daemon.cli.login_browser import run_browser

        return await run_browser(args)
    if not args.email:
        raise FoxbridgeError("Give --email (or --browser).", status=ExitStatus.USAGE)
    paths = default_paths()
    email: str = args.email.strip()
    secrets.check_available()  # before asking for a password that could not be kept
    pending = secrets.load_pending() if args.code else None
    async with aiohttp.ClientSession() as http:
        if pending is not None and pending.email.lower() == email.lower():
            password = None  # finishing the sign-in that waits for this code
            servers = ServerConfig.from_dict(pending.servers)
        else:
            password = read_password(args.password_stdin)
            servers = await choose_servers(http, args.server, args.token_server)
        result = await login_with_password(
            paths,
            http,
            email=email,
            password=password,
            servers=servers,
            code=args.code,
            device_name=args.device_name,
        )
    if isinstance(result, CodeRequired):
        print(
            f"foxbridge: {result.explanation} Finish with: "
            f"foxbridge login --email {email} --code CODE",
            file=sys.stderr,
        )
        return int(ExitStatus.CODE_REQUIRED)
    print(f"Signed in as {result.email} (this computer is “{result.device_name}”).")
    return 0
