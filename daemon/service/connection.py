"""One connection to the daemon: reading frames, answering requests, asking the peer.

Both sides may send requests (docs/ipc.md), so a connection keeps reading while the
daemon waits for the peer's answer to its own request: each incoming request is handled
in a task of its own, and answers to the daemon's requests resolve waiting futures. A
bad frame or message is answered with an error and the connection goes on; only a broken
stream ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from daemon.errors import FoxbridgeError
from daemon.service import protocol
from daemon.service.protocol import (
    ErrorCode,
    Notification,
    ProtocolError,
    Request,
    RequestIds,
    Response,
    Role,
)

log = logging.getLogger(__name__)

DEFAULT_CALL_TIMEOUT = 120.0  # seconds: a large tree.apply takes a while in a big profile
_DISCARD_CHUNK = 1024 * 1024


class ConnectionClosedError(FoxbridgeError):
    def __init__(self) -> None:
        super().__init__("The browser disconnected.")


class Handler(Protocol):
    """What the daemon does with the calls a connection receives."""

    async def handle_request(self, connection: Connection, request: Request) -> Any: ...

    async def handle_notification(
        self, connection: Connection, notification: Notification
    ) -> None: ...

    async def connection_closed(self, connection: Connection) -> None: ...


_numbers = itertools.count(1)


class Connection:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        handler: Handler,
    ) -> None:
        self.number = next(_numbers)  # for logs
        self.role = Role.UNKNOWN
        self.profile_id: str | None = None  # set by an extension's hello
        self._reader = reader
        self._writer = writer
        self._handler = handler
        self._ids = RequestIds()
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._write_lock = asyncio.Lock()
        self.closed = asyncio.Event()

    def __repr__(self) -> str:
        return f"<Connection #{self.number} {self.role}>"

    # -- reading ---------------------------------------------------------------------------

    async def serve(self) -> None:
        """Read and dispatch messages until the peer goes away."""
        try:
            while True:
                payload = await self._read_frame()
                if payload is None:
                    break
                self._dispatch(payload)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            await self._shut()

    async def _read_frame(self) -> bytes | None:
        """The next frame's payload (None at end of stream); oversize frames are skipped."""
        while True:
            try:
                header = await self._reader.readexactly(protocol.FRAME_HEADER.size)
            except asyncio.IncompleteReadError as partial:
                if partial.partial:
                    log.warning("%r: stream ended inside a frame header", self)
                return None
            length = protocol.frame_length(header)
            if length <= protocol.MAX_FRAME_BYTES:
                return await self._reader.readexactly(length)
            # Skip the payload without holding it, tell the peer, and carry on.
            log.warning("%r: discarding a %d-byte frame (over the limit)", self, length)
            remaining = length
            while remaining:
                chunk = await self._reader.read(min(remaining, _DISCARD_CHUNK))
                if not chunk:
                    return None
                remaining -= len(chunk)
            await self._send(protocol.error(None, protocol.too_large(length)))

    def _dispatch(self, payload: bytes) -> None:
        try:
            message = protocol.parse_message(payload)
        except ProtocolError as problem:
            log.info("%r: malformed message: %s", self, problem.message)
            pending = self._pending.pop(problem.request_id or "", None)
            if pending is not None and not pending.done():
                pending.set_exception(problem)  # a malformed answer to our own request
            elif problem.request_id is not None:
                self._spawn(self._send(protocol.error(problem.request_id, problem)))
            return
        if isinstance(message, Response):
            self._resolve(message)
        elif isinstance(message, Request):
            self._spawn(self._answer(message))
        else:
            self._spawn(self._notice(message))

    def _resolve(self, response: Response) -> None:
        future = self._pending.pop(response.id or "", None)
        if future is None or future.done():
            log.info("%r: an answer to no pending request (%s)", self, response.id)
            return
        if response.error is not None:
            error = response.error
            future.set_exception(ProtocolError(error["code"], error["message"], data=error["data"]))
        else:
            future.set_result(response.result)

    async def _answer(self, request: Request) -> None:
        try:
            value = await self._handler.handle_request(self, request)
            reply = protocol.result(request.id, value)
        except FoxbridgeError as failure:
            reply = protocol.error(request.id, protocol.error_for(failure))
        except Exception:
            log.exception("%r: %s failed", self, request.method)
            reply = protocol.error(
                request.id,
                ProtocolError(
                    ErrorCode.INTERNAL, "The daemon hit an unexpected error; see its log."
                ),
            )
        try:
            frame = protocol.encode_frame(reply)
        except ProtocolError as problem:  # a result over 64 MiB: say so instead
            log.warning("%r: the answer to %s is too large", self, request.method)
            frame = protocol.encode_frame(protocol.error(request.id, problem))
        await self._write(frame)

    async def _notice(self, notification: Notification) -> None:
        try:
            await self._handler.handle_notification(self, notification)
        except FoxbridgeError as failure:
            log.info("%r: %s refused: %s", self, notification.method, failure.message)
        except Exception:
            log.exception("%r: %s failed", self, notification.method)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- writing ---------------------------------------------------------------------------

    async def _send(self, message: Mapping[str, Any]) -> None:
        """Send one message; a message over the size limit raises ``ProtocolError``."""
        await self._write(protocol.encode_frame(message))

    async def _write(self, frame: bytes) -> None:
        if self.closed.is_set():
            return
        async with self._write_lock:
            try:
                self._writer.write(frame)
                await self._writer.drain()
            except (ConnectionError, RuntimeError):
                self._writer.close()

    async def call(
        self, method: str, params: Mapping[str, Any], *, answer_within: float = DEFAULT_CALL_TIMEOUT
    ) -> Any:
        """Send a request to the peer and wait for its result (or its error, raised)."""
        if self.closed.is_set():
            raise ConnectionClosedError()
        request_id = self._ids.next()
        frame = protocol.encode_frame(protocol.request(request_id, method, params))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self._write(frame)
            return await asyncio.wait_for(future, answer_within)
        except TimeoutError:
            raise ProtocolError(
                ErrorCode.TIMEOUT,
                f"The browser did not answer {method} within {answer_within:.0f} s.",
            ) from None
        finally:
            self._pending.pop(request_id, None)

    async def notify(self, method: str, params: Mapping[str, Any]) -> None:
        await self._send(protocol.notification(method, params))

    # -- closing ---------------------------------------------------------------------------

    async def close(self) -> None:
        self._writer.close()
        await self.closed.wait()

    async def _shut(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionClosedError())
        self._pending.clear()
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        try:
            await self._handler.connection_closed(self)
        except Exception:
            log.exception("%r: cleaning up after the connection failed", self)
