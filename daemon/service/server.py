"""Where the daemon listens: one instance per OS user, a private socket, peers checked.

- **One instance.** The daemon holds an exclusive lock on ``paths.lock_file`` for its
  whole life. A second daemon finds it taken and stops with ``AlreadyRunningError``
  (``foxbridge daemon`` then exits 0: the job — a daemon running — is done).
- **A private socket.** On POSIX a Unix socket at ``paths.socket_path`` inside the
  runtime folder, which must be the user's own and mode 0700; the socket is created with
  a umask so it is 0600 from its first instant. A socket left behind by a crashed daemon is
  removed, but only once the lock proves no daemon owns it, and only if it is a socket.
- **Only the same user.** Every connection's peer uid is read from the kernel
  (SO_PEERCRED on Linux, LOCAL_PEERCRED on macOS) and anyone else is refused before a
  byte is read.
- On Windows the transport is a named pipe (``NamedPipeTransport``), private to the user
  by the pipe's default security. It is not exercised by the Linux test suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import stat
import struct
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Protocol

from daemon.errors import FoxbridgeError
from daemon.paths import Paths

log = logging.getLogger(__name__)

ConnectionCallback = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class AlreadyRunningError(FoxbridgeError):
    def __init__(self, pid: int | None) -> None:
        who = f" (pid {pid})" if pid else ""
        super().__init__(f"The foxbridge daemon is already running{who}.")
        self.pid = pid


class UnsafeRuntimeDirError(FoxbridgeError):
    pass


class PeerRefusedError(FoxbridgeError):
    pass


class CannotListenError(FoxbridgeError):
    def __init__(self, where: Path, error: OSError) -> None:
        reason = error.strerror or type(error).__name__
        hint = " (the path is too long for a socket)" if "too long" in str(error) else ""
        super().__init__(f"The daemon cannot listen at {where}: {reason}{hint}.")


# -- the single-instance lock ----------------------------------------------------------------


class InstanceLock:
    """An exclusive, non-blocking lock on a file, held while the daemon runs.

    The kernel drops the lock when the process dies, however it dies, so a crash never
    leaves a stale lock behind. The file holds the owner's pid for messages.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        file = open(self.path, "a+", encoding="ascii")  # noqa: SIM115 - held until release
        try:
            _lock_file(file)
        except OSError:
            file.seek(0)
            text = file.read().strip()
            file.close()
            raise AlreadyRunningError(int(text) if text.isdigit() else None) from None
        file.seek(0)
        file.truncate()
        file.write(str(os.getpid()))
        file.flush()
        self._file = file

    def release(self) -> None:
        if self._file is None:
            return
        with contextlib.suppress(OSError):
            self._file.seek(0)
            self._file.truncate()
        self._file.close()  # closing the descriptor releases the lock
        self._file = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _lock_file(file: IO[str]) -> None:
    if sys.platform == "win32":
        import msvcrt

        file.seek(0)
        msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


# -- peer credentials ----------------------------------------------------------------------

_LOCAL_PEERCRED = 0x001  # macOS <sys/un.h>
_SOL_LOCAL = 0
_XUCRED = struct.Struct("=IiH16I")  # cr_version, cr_uid, cr_ngroups, cr_groups[16]


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a Unix socket, from the kernel."""
    if hasattr(socket, "SO_PEERCRED"):
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
        return uid
    if sys.platform == "darwin":
        creds = sock.getsockopt(_SOL_LOCAL, _LOCAL_PEERCRED, _XUCRED.size)
        return _XUCRED.unpack(creds)[1]
    raise PeerRefusedError("This system cannot tell who is connecting; refusing.")


def check_peer(uid: int, own_uid: int) -> None:
    """Refuse a peer that is not this same user (not even root: it has its own daemon)."""
    if uid != own_uid:
        raise PeerRefusedError(
            f"Refused a connection from uid {uid}: only uid {own_uid} may connect."
        )


# -- transports ----------------------------------------------------------------------------


class Transport(Protocol):
    async def start(self, on_connection: ConnectionCallback) -> None: ...

    async def close(self) -> None: ...


class UnixSocketTransport:
    """A Unix socket readable and writable by its owner only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._server: asyncio.AbstractServer | None = None
        self._own_uid = os.getuid()

    async def start(self, on_connection: ConnectionCallback) -> None:
        check_runtime_dir(self.path.parent, self._own_uid)
        remove_stale_socket(self.path)
        # Bound and listening under a temporary name, then renamed into place: whoever
        # sees the socket's name can connect (the native host waits for it to appear).
        staging = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        remove_stale_socket(staging)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        previous = os.umask(0o177)  # the socket is born 0600: no window where others may connect
        try:
            sock.bind(str(staging))
        except OSError:
            sock.close()
            raise
        finally:
            os.umask(previous)
        os.chmod(staging, 0o600)

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                check_peer(peer_uid(writer.get_extra_info("socket")), self._own_uid)
            except (PeerRefusedError, OSError) as refusal:
                log.warning("%s", refusal)
                writer.close()
                return
            await on_connection(reader, writer)

        try:
            self._server = await asyncio.start_unix_server(accept, sock=sock, limit=2**16)
            os.replace(staging, self.path)
        except BaseException:
            staging.unlink(missing_ok=True)
            raise

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def check_runtime_dir(folder: Path, own_uid: int) -> None:
    """The socket's folder must be ours and closed to others, or the socket is not private."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != own_uid:
        raise UnsafeRuntimeDirError(
            f"{folder} is not a folder owned by you; the daemon will not put its socket there."
        )
    if stat.S_IMODE(info.st_mode) & 0o077:
        folder.chmod(0o700)


def remove_stale_socket(path: Path) -> None:
    """Remove a socket a dead daemon left behind (call only while holding the lock)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise UnsafeRuntimeDirError(
            f"{path} exists and is not a socket; move it away and start the daemon again."
        )
    log.info("removing a socket left by a previous daemon")
    path.unlink()


class NamedPipeTransport:
    """Windows: a named pipe per user, served by the proactor event loop."""

    def __init__(self, pipe_name: str) -> None:
        self.pipe_name = pipe_name
        self._servers: list[object] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, on_connection: ConnectionCallback) -> None:
        loop = asyncio.get_running_loop()
        start_serving_pipe = getattr(loop, "start_serving_pipe", None)
        if start_serving_pipe is None:
            raise FoxbridgeError("Named pipes need the proactor event loop (Windows).")

        def protocol_factory() -> asyncio.StreamReaderProtocol:
            reader = asyncio.StreamReader(limit=2**16)

            def connected(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
                task = loop.create_task(on_connection(r, w))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

            return asyncio.StreamReaderProtocol(reader, connected)

        self._servers = await start_serving_pipe(protocol_factory, self.pipe_name)

    async def close(self) -> None:
        for server in self._servers:
            close = getattr(server, "close", None)
            if close is not None:
                close()
        self._servers = []


def pipe_name_for(paths: Paths) -> str:
    """A pipe name unique to this user and this FOXBRIDGE_HOME."""
    import hashlib

    digest = hashlib.sha256(str(paths.runtime_dir).encode()).hexdigest()[:16]
    return rf"\\.\pipe\foxbridge-{os.environ.get('USERNAME', 'user')}-{digest}"


def transport_for(paths: Paths) -> Transport:
    if sys.platform == "win32":
        return NamedPipeTransport(pipe_name_for(paths))
    return UnixSocketTransport(paths.socket_path)


# -- the listening server ------------------------------------------------------------------


class Listener:
    """Holds the lock, owns the transport, and hands every accepted stream to a callback."""

    def __init__(self, paths: Paths, on_connection: ConnectionCallback) -> None:
        self.paths = paths
        self._lock = InstanceLock(paths.lock_file)
        self._transport = transport_for(paths)
        self._on_connection = on_connection

    async def start(self) -> None:
        try:
            self.paths.ensure()
            self._lock.acquire()
        except OSError as error:
            raise CannotListenError(self.paths.runtime_dir, error) from None
        try:
            await self._transport.start(self._on_connection)
        except OSError as error:
            self._lock.release()
            raise CannotListenError(self.paths.socket_path, error) from None
        except BaseException:
            self._lock.release()
            raise
        log.info("listening on %s", self.paths.socket_path)

    async def stop_accepting(self) -> None:
        """Close the socket (and remove it); the lock stays held until ``release``."""
        await self._transport.close()

    def release(self) -> None:
        self._lock.release()

    async def stop(self) -> None:
        try:
            await self.stop_accepting()
        finally:
            self.release()
