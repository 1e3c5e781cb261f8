"""The host's entry point: check the caller, reach the daemon, relay frames both ways.

The browser starts one host process per ``connectNative`` port, with the caller's
origin as the first argument, and talks to it over stdin/stdout. The host connects to
the daemon's socket (starting the daemon when needed), introduces itself with a
``host.hello`` frame, then copies frames in both directions until either side closes.
Two threads do the copying, one per direction, so a slow reader on one side never
blocks the other.

Exit status: 0 when either side closed the connection, 1 when the daemon could not be
reached or a peer broke the framing, 2 when the caller is not allowed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
from collections.abc import Callable
from queue import SimpleQueue

from host import HOST_VERSION
from host.framing import (
    BROWSER_HEADER,
    MAX_FROM_BROWSER,
    MAX_FROM_DAEMON,
    SOCKET_HEADER,
    FramingError,
    encode_frame,
    encode_json,
    messages_for_browser,
    read_frame,
)
from host.launcher import DaemonUnavailableError, connect_or_start
from host.locations import ALLOWED_ORIGINS_FILE, config_dir, socket_path
from host.origins import OriginsFileError, is_allowed

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_REFUSED = 2

BROWSER_IN = 0  # stdin
BROWSER_OUT = 1  # stdout


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        _complain("expects the calling extension's origin as its first argument.")
        return EXIT_REFUSED
    origin = args[0]
    if not _caller_allowed(origin):
        _complain(f"refusing the caller {origin!r}: not a foxbridge extension.")
        return EXIT_REFUSED
    _binary_stdio()
    try:
        sock = connect_or_start(socket_path())
    except (DaemonUnavailableError, OSError) as error:
        _complain(str(error))
        # Tell the extension why, so it can show the user something better than
        # "native host has exited" (unless the browser has gone already).
        notice = {
            "method": "host.error",
            "params": {"code": "daemon-unavailable", "message": str(error)},
        }
        with contextlib.suppress(OSError):
            _write_to_browser(encode_json(notice))
        return EXIT_FAILURE
    with sock:
        hello = {"method": "host.hello", "params": {"origin": origin, "host_version": HOST_VERSION}}
        try:
            sock.sendall(encode_frame(encode_json(hello), SOCKET_HEADER))
        except OSError:
            _complain("the daemon closed the connection at once.")
            return EXIT_FAILURE
        return relay(sock)


def relay(sock: socket.socket) -> int:
    """Copy frames both ways until one side closes; the exit status."""
    outcome: SimpleQueue[int] = SimpleQueue()
    for pump in (_browser_to_daemon, _daemon_to_browser):
        threading.Thread(target=_run_pump, args=(pump, sock, outcome), daemon=True).start()
    status = outcome.get()
    # The other thread may be blocked reading; the process exit ends it.
    return status


def _run_pump(
    pump: Callable[[socket.socket], None], sock: socket.socket, outcome: SimpleQueue[int]
) -> None:
    status = EXIT_FAILURE
    try:
        pump(sock)
        status = EXIT_OK
    except FramingError as error:
        _complain(str(error))
    except OSError:
        status = EXIT_OK  # a peer went away mid-write: the connection is over
    except Exception as error:  # a bug: report its kind only (never message content)
        _complain(f"internal error ({type(error).__name__}).")
    finally:
        outcome.put(status)  # the main thread waits for this, whatever happened


def _browser_to_daemon(sock: socket.socket) -> None:
    def read(size: int) -> bytes:
        return os.read(BROWSER_IN, size)

    while (body := read_frame(read, BROWSER_HEADER, MAX_FROM_BROWSER, "browser")) is not None:
        sock.sendall(encode_frame(body, SOCKET_HEADER))


def _daemon_to_browser(sock: socket.socket) -> None:
    sent = 0
    while (body := read_frame(sock.recv, SOCKET_HEADER, MAX_FROM_DAEMON, "daemon")) is not None:
        sent += 1
        for message in messages_for_browser(body, fallback_id=f"h{sent}"):
            _write_to_browser(message)


def _write_to_browser(message: bytes) -> None:
    view = memoryview(encode_frame(message, BROWSER_HEADER))
    while view:
        written = os.write(BROWSER_OUT, view)
        view = view[written:]


def _caller_allowed(origin: str) -> bool:
    try:
        return is_allowed(origin, os.path.join(config_dir(), ALLOWED_ORIGINS_FILE))
    except OriginsFileError as error:
        _complain(f"ignoring the extra allowed origins: {error}")
        return False
    except OSError as error:
        _complain(f"cannot find foxbridge's config folder: {error}")
        return False


def _binary_stdio() -> None:
    if sys.platform == "win32":
        import msvcrt

        msvcrt.setmode(BROWSER_IN, os.O_BINARY)
        msvcrt.setmode(BROWSER_OUT, os.O_BINARY)


def _complain(message: str) -> None:
    # The browser copies a host's stderr to its own log: the only place a host can talk.
    print(f"foxbridge-host: {message}", file=sys.stderr, flush=True)
