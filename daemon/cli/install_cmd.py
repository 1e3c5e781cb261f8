"""``foxbridge install`` and ``foxbridge uninstall``.

Install registers the native host with every Chromium-family browser found (or the ones
named), sets up the daemon's autostart and starts it. Uninstall removes all of that, and
with ``--purge`` (or after asking, on a terminal) also the keyring entries and the local
state. The work is done by the ``install`` package; this module is the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from daemon.errors import FoxbridgeError, KeyringUnavailableError, NotSignedInError
from daemon.paths import APP_NAME, Paths

if TYPE_CHECKING:
    from install.installer import Installer


def register(subparsers: argparse._SubParsersAction) -> None:
    from install.browsers import BY_KEY

    install = subparsers.add_parser(
        "install",
        help="register with your browsers and start the daemon at login",
        description="Register foxbridge's native host with every Chromium-family browser "
        "found (or the ones named), start the daemon at login, and start it now. "
        "Running it again changes only what is out of date.",
    )
    install.add_argument(
        "--browser",
        action="append",
        default=[],
        metavar="NAME",
        choices=sorted(BY_KEY),
        help="register with this browser even if it is not found (repeatable): "
        + ", ".join(BY_KEY),
    )
    install.add_argument(
        "--user-data-dir",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="register with the browser profile folder DIR (a browser started with "
        "--user-data-dir=DIR); repeatable",
    )
    install.add_argument(
        "--extra-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="also allow the extension chrome-extension://<id>/ (a build signed with "
        "another key); repeatable",
    )
    install.add_argument(
        "--no-autostart",
        dest="autostart",
        action="store_false",
        help="do not start the daemon at login (the browser still starts it when needed)",
    )
    # What install.sh created for the program itself, so uninstall removes it too.
    install.add_argument(
        "--program", action="append", default=[], type=Path, help=argparse.SUPPRESS
    )
    install.set_defaults(run=run_install)

    uninstall = subparsers.add_parser(
        "uninstall",
        help="remove the registrations, autostart and launcher",
        description="Remove everything 'foxbridge install' set up and stop the daemon. "
        "With --purge, also delete the keyring entries and the local state (sign-in, "
        "bookmark state, snapshots, logs).",
    )
    uninstall.add_argument(
        "--purge",
        action="store_true",
        help="also delete the keyring entries and all local state",
    )
    uninstall.add_argument(
        "--keep-data",
        action="store_true",
        help="keep the keyring entries and local state without asking",
    )
    uninstall.set_defaults(run=run_uninstall)


def _installer() -> Installer:
    from daemon.paths import default_paths
    from install.commands import SubprocessRunner
    from install.installer import DaemonProcess, Installer
    from install.layout import Layout
    from install.machine import OS
    from install.registry import MemoryRegistry, WindowsRegistry

    layout = Layout.current(default_paths(), Path(sys.executable))
    registry = WindowsRegistry() if layout.machine.os is OS.WINDOWS else MemoryRegistry()
    return Installer(layout, SubprocessRunner(), registry, DaemonProcess(layout))


async def run_install(args: argparse.Namespace) -> int:
    from install.installer import InstallOptions

    options = InstallOptions(
        browsers=args.browser,
        user_data_dirs=args.user_data_dir,
        extra_origins=args.extra_origin,
        autostart=args.autostart,
        program=[path.expanduser().absolute() for path in args.program],
    )
    report = _installer().install(options)
    print(report.text())
    return 0


async def run_uninstall(args: argparse.Namespace) -> int:
    installer = _installer()
    report, program = installer.uninstall()
    print(report.text())
    purge = args.purge
    if not purge and not args.keep_data and sys.stdin.isatty():
        purge = await asyncio.to_thread(
            confirm, "Also delete your foxbridge sign-in (keyring entries) and local state? [y/N] "
        )
    if purge:
        for line in await purge_data(installer.layout.paths):
            print(line)
    else:
        print(
            "· kept your sign-in and local state (remove them with 'foxbridge uninstall --purge')"
        )
    # Last: the command may be running from this environment.
    removed = installer.remove_program(program)
    if removed.lines:
        print(removed.text())
    print("Remove the foxbridge extension from your browser's extensions page too.")
    return 0


def confirm(question: str) -> bool:
    """Yes only for a typed yes; the end of input (Ctrl-D) is a no."""
    try:
        answer = input(question)
    except EOFError:
        print()
        return False
    return answer.strip().lower() in ("y", "yes")


async def purge_data(paths: Paths) -> list[str]:
    """Sign out, delete the keyring entries and every local file; what was done, line by
    line. Signing out on the server first leaves no live token or device record behind."""
    import aiohttp

    from daemon.fxa import secrets
    from daemon.fxa.account import load_account

    lines = []
    account = None
    try:
        with contextlib.suppress(NotSignedInError):
            account = load_account(paths)
        if account is not None:
            async with aiohttp.ClientSession() as http:
                reached = await account.logout(http)  # also deletes its keyring entry
            lines.append(
                f"✓ signed out of {account.email} on the account server"
                if reached
                else "· could not reach the account server; remove this device in your "
                "account's device list"
            )
        secrets.delete_pending()
        lines.append("✓ deleted foxbridge's keyring entries")
    except KeyringUnavailableError as error:
        if account is None:
            # Nobody was signed in and no keyring works here: nothing can be stored there.
            lines.append("· no usable OS keyring here, and no account to remove from it")
        else:
            lines.append(f"✗ could not delete the keyring entries: {error}")
    for folder in (paths.config_dir, paths.data_dir, paths.log_dir, paths.runtime_dir):
        if not folder.exists():
            continue
        try:
            shutil.rmtree(folder)
        except OSError as error:
            raise FoxbridgeError(f"Cannot delete {folder}: {error.strerror}.") from error
        lines.append(f"✓ deleted {folder}")
        # Logs live in <state>/foxbridge/log: the app's own folder goes too once empty.
        if folder.parent.name == APP_NAME:
            with contextlib.suppress(OSError):
                folder.parent.rmdir()
    return lines
