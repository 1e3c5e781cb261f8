"""Entry point of the ``foxbridge`` command.

Each sub-command lives in its own module in this package and provides two things:

- ``register(subparsers)``: adds its ``argparse`` parser with ``set_defaults(run=run)``
  (cheap: heavy imports belong inside ``run``);
- ``async def run(args) -> int``: does the work and returns the exit status.

Expected failures are ``FoxbridgeError``s: printed as one line on stderr, never as a
traceback. ``--verbose`` turns on logging to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from collections.abc import Sequence

from daemon import __version__
from daemon.errors import ExitStatus, FoxbridgeError

# Sub-command name → module in daemon.cli, in the order ``--help`` lists them.
COMMANDS: dict[str, str] = {
    "login": "login",
    "logout": "logout",
    "status": "status",
    "sync": "sync",
    "bookmarks": "bookmarks",
    "collections": "collections",
    "restore": "restore",
    "daemon": "daemon_cmd",
    "install": "install_cmd",
    "uninstall": "install_cmd",
    "doctor": "doctor",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="foxbridge",
        description="Keep this browser's bookmarks in your Firefox Account.",
    )
    parser.add_argument("--version", action="version", version=f"foxbridge {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    registered: set[str] = set()
    for module_name in COMMANDS.values():
        if module_name in registered:
            continue
        registered.add(module_name)
        importlib.import_module(f"daemon.cli.{module_name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from daemon import logs

    logs.configure(verbose=args.verbose)
    try:
        status = asyncio.run(args.run(args)) or 0
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return status
    except FoxbridgeError as error:
        print(f"foxbridge: {error.message}", file=sys.stderr)
        return int(error.status)
    except KeyboardInterrupt:
        print("foxbridge: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``foxbridge … | head``): nothing to say, and nowhere to say
        # it. Point stdout at nothing so the interpreter's final flush does not fail too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return int(ExitStatus.FAILURE)


if __name__ == "__main__":
    sys.exit(main())
