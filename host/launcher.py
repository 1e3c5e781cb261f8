"""Connecting to the daemon, starting it first when it is not running.

The daemon is started as ``<this python> -m daemon daemon`` in a session of its own,
detached from the browser's pipes: the browser kills the host when the extension
disconnects, and the daemon must outlive that. When several hosts start at once, each
may start a daemon; the daemon's lock lets one of them run and the others exit, and
every host waits for the one socket.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time

TYPE_CHECKING = False  # typing itself is slow to import
if TYPE_CHECKING:
    import subprocess

# Tests point the host at a stand-in daemon: a JSON list, the command's argv.
DAEMON_COMMAND_ENV = "FOXBRIDGE_HOST_DAEMON_COMMAND"

START_TIMEOUT = 15.0  # seconds for a started daemon to open its socket
# A daemon that exited may have lost the start-up race to another one: give the
# winner this long to open the socket before giving up.
AFTER_EXIT_GRACE = 2.0


class DaemonUnavailableError(Exception):
    """The daemon is not running and could not be started."""


def connect_or_start(path: str, timeout: float = START_TIMEOUT) -> socket.socket:
    """A socket connected to the daemon at ``path``."""
    if not hasattr(socket, "AF_UNIX"):
        raise DaemonUnavailableError("This system has no Unix sockets to reach the daemon with.")
    connected = _connect(path)
    if connected is not None:
        return connected
    process = _start_daemon()
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        connected = _connect(path)
        if connected is not None:
            return connected
        status = process.poll()
        if status is not None:
            deadline = min(deadline, time.monotonic() + AFTER_EXIT_GRACE)
        if time.monotonic() >= deadline:
            detail = f" (it exited with status {status})" if status is not None else ""
            raise DaemonUnavailableError(
                f"The foxbridge service did not start{detail}. Run “foxbridge doctor” to see why."
            )
        time.sleep(delay)  # a socket file gives no event to wait on
        delay = min(delay * 2, 0.1)


def _connect(path: str) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except (FileNotFoundError, ConnectionRefusedError):
        sock.close()
        return None
    except OSError as error:
        sock.close()
        raise DaemonUnavailableError(
            f"Cannot connect to the daemon's socket {path}: {error.strerror}."
        ) from error
    return sock


def daemon_command() -> list[str]:
    override = os.environ.get(DAEMON_COMMAND_ENV)
    if not override:
        return [sys.executable, "-m", "daemon", "daemon"]
    try:
        command = json.loads(override)
    except ValueError:
        command = None
    if not isinstance(command, list) or not command or not all(isinstance(a, str) for a in command):
        raise DaemonUnavailableError(f"{DAEMON_COMMAND_ENV} must be a JSON list of strings.")
    return command


def _start_daemon() -> subprocess.Popen[bytes]:
    # subprocess costs milliseconds to import: pay only when the daemon is not running.
    import subprocess

    try:
        return subprocess.Popen(  # noqa: S603 - our own daemon, or a test's stand-in
            daemon_command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,
        )
    except OSError as error:
        raise DaemonUnavailableError(
            f"Cannot start the foxbridge daemon: {error.strerror}."
        ) from error
