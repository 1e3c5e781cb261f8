"""``foxbridge daemon``: run the background service.

The daemon runs in the foreground of whatever starts it (a terminal, the native host,
systemd, launchd); ``--foreground`` is accepted for clarity and is the only mode. Logs go
to the rotating log file, and to stderr too with ``--verbose``. SIGTERM and SIGINT stop
it cleanly: a running sync gets a few seconds to finish, the socket is removed and the
lock released. If a daemon already runs for this user, this one says so and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys

from daemon.errors import ExitStatus

log = logging.getLogger("daemon.service")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "daemon",
        help="run the background service (started automatically by the browser or at login)",
        description="Run the foxbridge background service until stopped.",
    )
    parser.add_argument(
        "--foreground", action="store_true", help="stay in the foreground (the default)"
    )
    parser.set_defaults(run=run)


async def run(args: argparse.Namespace) -> int:
    import aiohttp

    from daemon import logs
    from daemon.paths import default_paths
    from daemon.service.app import DaemonService
    from daemon.service.memory import use_system_allocator
    from daemon.service.server import AlreadyRunningError

    use_system_allocator()  # memory goes back to the system after a large sync
    paths = default_paths()
    paths.ensure()
    logs.configure(verbose=args.verbose, log_file=paths.log_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        # Windows has no signal handlers in asyncio: Ctrl+C raises KeyboardInterrupt instead.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    async with aiohttp.ClientSession() as http:
        service = DaemonService(paths, http)
        try:
            await service.start()
        except AlreadyRunningError as running:
            print(f"foxbridge: {running.message}", file=sys.stderr)
            return int(ExitStatus.OK)
        log.info("foxbridge daemon started (pid %s)", os.getpid())
        try:
            await stop.wait()
        finally:
            await service.stop()
            log.info("foxbridge daemon stopped")
    return int(ExitStatus.OK)
