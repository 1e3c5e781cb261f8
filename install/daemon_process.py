"""Starting, finding and stopping the daemon as a process of its own.

The daemon holds an exclusive lock on its lock file while it runs and writes its pid
there; probing that lock (without keeping it) is how we know whether it runs, which a
stale pid in the file could not tell.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from daemon.errors import FoxbridgeError
from daemon.paths import Paths
from install.autostart import daemon_command

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


class DaemonStartError(FoxbridgeError):
    pass


def running_pid(paths: Paths) -> int | None:
    """The running daemon's pid, or ``None`` when no daemon holds the lock."""
    try:
        file = open(paths.lock_file, "r+", encoding="ascii")  # noqa: SIM115 - closed below
    except (FileNotFoundError, NotADirectoryError):
        return None
    with file:
        if _try_lock(file):
            return None  # we got the lock: nobody holds it (closing releases it)
        file.seek(0)
        text = file.read().strip()
        return int(text) if text.isdigit() else 0


def _try_lock(file: object) -> bool:
    fileno = file.fileno()  # type: ignore[attr-defined]
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fileno, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        msvcrt.locking(fileno, msvcrt.LK_UNLCK, 1)
        return True
    import fcntl

    try:
        fcntl.flock(fileno, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    fcntl.flock(fileno, fcntl.LOCK_UN)
    return True


def socket_answers(path: Path) -> bool:
    """Whether something accepts connections on the daemon's socket."""
    if not hasattr(socket, "AF_UNIX"):
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(str(path))
        except OSError:
            return False
    return True


def start_detached(python: Path, environment: Mapping[str, str], paths: Paths) -> None:
    """Start the daemon in a session of its own and wait until its socket answers."""
    env = {**os.environ, **environment}
    options: dict[str, object] = {}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        options["start_new_session"] = True
    try:
        process = subprocess.Popen(  # noqa: S603 - our own daemon
            daemon_command(python),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            env=env,
            **options,  # type: ignore[call-overload]
        )
    except OSError as error:
        raise DaemonStartError(f"Cannot start the daemon: {error.strerror}.") from error
    deadline = time.monotonic() + START_TIMEOUT
    while not _ready(paths):
        status = process.poll()
        if status is not None and running_pid(paths) is None:
            raise DaemonStartError(
                f"The daemon stopped at once (status {status}); run 'foxbridge daemon' to see why."
            )
        if time.monotonic() > deadline:
            raise DaemonStartError("The daemon did not open its socket in time.")
        time.sleep(0.05)  # another process's socket gives no event to wait on


def _ready(paths: Paths) -> bool:
    """Whether the daemon serves: its socket answers (or, on Windows, it holds the lock)."""
    if hasattr(socket, "AF_UNIX"):
        return socket_answers(paths.socket_path)
    return running_pid(paths) is not None


def stop(paths: Paths) -> bool:
    """Stop the running daemon (if any); whether one was running."""
    pid = running_pid(paths)
    if pid is None:
        return False
    if pid <= 0:
        raise FoxbridgeError(f"A daemon holds {paths.lock_file} but its pid is unknown.")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while running_pid(paths) is not None:
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
            break
        time.sleep(0.05)
    return True
