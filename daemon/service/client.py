"""A small client for the daemon's socket, for the ``foxbridge`` command.

``await call(paths, "status", {})`` connects, introduces itself as a CLI client (so the
daemon never asks it for a bookmark tree), sends one request and returns its result; the
daemon's error answers become ``FoxbridgeError``s with the daemon's message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Mapping
from typing import Any

from daemon import __version__
from daemon.errors import FoxbridgeError
from daemon.paths import Paths
from daemon.service import protocol
from daemon.service.protocol import ProtocolError

CONNECT_TIMEOUT = 5.0


class DaemonNotRunningError(FoxbridgeError):
    def __init__(self) -> None:
        super().__init__(
            "The foxbridge daemon is not running. Start it with 'foxbridge daemon' "
            "(or 'foxbridge install' to start it at login)."
        )


class DaemonClient:
    """One connection to the daemon, used for a few requests in a row."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._ids = protocol.RequestIds(prefix="c")

    @classmethod
    async def connect(cls, paths: Paths) -> DaemonClient:
        if sys.platform == "win32":
            raise FoxbridgeError("Talking to the daemon from the command line needs Unix sockets.")
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_unix_connection(str(paths.socket_path), limit=2**16),
                CONNECT_TIMEOUT,
            )
        except (OSError, TimeoutError):
            raise DaemonNotRunningError() from None  # no socket, or nobody listening
        client = cls(reader, writer)
        await client.request("hello", {"role": "cli", "version": __version__})
        return client

    async def request(
        self, method: str, params: Mapping[str, Any], *, answer_within: float = 60.0
    ) -> Any:
        request_id = self._ids.next()
        self._writer.write(protocol.encode_frame(protocol.request(request_id, method, params)))
        await self._writer.drain()
        async with asyncio.timeout(answer_within):
            while True:
                message = await self._receive()
                if isinstance(message, protocol.Response) and message.id == request_id:
                    break
        if message.error is not None:
            error = message.error
            raise ProtocolError(error["code"], error["message"], data=error["data"])
        return message.result

    async def _receive(self) -> protocol.Message:
        try:
            header = await self._reader.readexactly(protocol.FRAME_HEADER.size)
            length = protocol.frame_length(header)
            if length > protocol.MAX_FRAME_BYTES:
                raise FoxbridgeError("The daemon sent an oversize message.")
            payload = await self._reader.readexactly(length)
        except (asyncio.IncompleteReadError, ConnectionError):
            raise FoxbridgeError("The daemon closed the connection.") from None
        try:
            return protocol.parse_message(payload)
        except (ProtocolError, json.JSONDecodeError) as problem:
            raise FoxbridgeError(f"The daemon sent a malformed message: {problem}") from None

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()


async def call(
    paths: Paths,
    method: str,
    params: Mapping[str, Any] | None = None,
    *,
    answer_within: float = 60.0,
) -> Any:
    """Send one request to the running daemon and return its result."""
    client = await DaemonClient.connect(paths)
    try:
        return await client.request(method, params or {}, answer_within=answer_within)
    finally:
        await client.close()


async def daemon_running(paths: Paths) -> bool:
    try:
        await call(paths, "status")
    except DaemonNotRunningError:
        return False
    return True
