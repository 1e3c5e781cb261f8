"""The socket: private, one daemon per user, robust framing, many connections at once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import stat
import struct
from typing import Any

import pytest

from daemon.paths import Paths
from daemon.service import protocol
from daemon.service.connection import Connection
from daemon.service.protocol import Notification, ProtocolError, Request
from daemon.service.server import (
    AlreadyRunningError,
    InstanceLock,
    Listener,
    PeerRefusedError,
    UnsafeRuntimeDirError,
    check_peer,
    peer_uid,
    remove_stale_socket,
)


class EchoHandler:
    """Answers ``echo`` with its params, ``ask`` by asking the peer back, ``boom`` with a bug."""

    def __init__(self) -> None:
        self.notifications: list[Notification] = []
        self.closed = 0
        self.noticed = asyncio.Event()

    async def handle_request(self, connection: Connection, request: Request) -> Any:
        if request.method == "echo":
            return request.params
        if request.method == "ask":
            return await connection.call(
                "tree.get", {}, answer_within=request.params.get("timeout", 5)
            )
        if request.method == "big":
            return "x" * request.params["size"]
        if request.method == "ask_big":
            return await connection.call("tree.apply", {"ops": ["x" * request.params["size"]]})
        if request.method == "boom":
            raise RuntimeError("secret internal detail")
        raise ProtocolError("unknown-method", "no such method", request_id=request.id)

    async def handle_notification(self, connection: Connection, notification: Notification) -> None:
        self.notifications.append(notification)
        self.noticed.set()

    async def connection_closed(self, connection: Connection) -> None:
        self.closed += 1


class Peer:
    """The client side of the socket, speaking raw frames."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, paths: Paths) -> Peer:
        return cls(*await asyncio.open_unix_connection(str(paths.socket_path)))

    async def send(self, message: dict) -> None:
        self.writer.write(protocol.encode_frame(message))
        await self.writer.drain()

    async def send_raw(self, payload: bytes) -> None:
        self.writer.write(struct.pack("<I", len(payload)) + payload)
        await self.writer.drain()

    async def receive(self) -> dict:
        header = await asyncio.wait_for(self.reader.readexactly(4), 5)
        return json.loads(await self.reader.readexactly(int.from_bytes(header, "little")))

    def close(self) -> None:
        self.writer.close()


@pytest.fixture
async def listening(paths: Paths):
    handler = EchoHandler()

    async def on_connection(reader, writer) -> None:
        await Connection(reader, writer, handler).serve()

    listener = Listener(paths, on_connection)
    await listener.start()
    yield handler
    await listener.stop()


async def test_the_socket_is_private_to_its_user(paths: Paths, listening: EchoHandler) -> None:
    assert stat.S_IMODE(paths.socket_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.runtime_dir.stat().st_mode) == 0o700
    assert stat.S_ISSOCK(paths.socket_path.lstat().st_mode)


async def test_a_request_is_answered(paths: Paths, listening: EchoHandler) -> None:
    peer = await Peer.connect(paths)
    await peer.send({"id": "e1", "method": "echo", "params": {"x": "ü"}})
    assert await peer.receive() == {"id": "e1", "result": {"x": "ü"}}
    peer.close()


async def test_malformed_frames_get_an_error_and_the_connection_lives_on(
    paths: Paths, listening: EchoHandler
) -> None:
    peer = await Peer.connect(paths)
    await peer.send_raw(b"{oops")  # no id to answer: dropped
    await peer.send_raw(b'{"id": "e2", "method": "echo", "params": 7}')
    answer = await peer.receive()
    assert answer["id"] == "e2" and answer["error"]["code"] == "bad-request"
    await peer.send({"id": "e3", "method": "echo", "params": {}})
    assert await peer.receive() == {"id": "e3", "result": {}}
    peer.close()


async def test_an_oversize_frame_is_skipped_without_buffering_it(
    paths: Paths, listening: EchoHandler
) -> None:
    peer = await Peer.connect(paths)
    size = protocol.MAX_FRAME_BYTES + 1
    peer.writer.write(struct.pack("<I", size))
    chunk = b" " * (1024 * 1024)
    for _ in range(size // len(chunk)):
        peer.writer.write(chunk)
        await peer.writer.drain()
    peer.writer.write(b" " * (size % len(chunk)))
    answer = await peer.receive()
    assert "id" not in answer and answer["error"]["code"] == "too-large"
    await peer.send({"id": "e4", "method": "echo", "params": {"still": "here"}})
    assert await peer.receive() == {"id": "e4", "result": {"still": "here"}}
    peer.close()


async def test_a_bug_in_a_handler_is_an_error_answer_not_a_crash(
    paths: Paths, listening: EchoHandler
) -> None:
    peer = await Peer.connect(paths)
    await peer.send({"id": "e5", "method": "boom", "params": {}})
    answer = await peer.receive()
    assert answer["error"]["code"] == "internal"
    assert "secret internal detail" not in json.dumps(answer)
    await peer.send({"id": "e6", "method": "echo", "params": {}})
    assert (await peer.receive())["id"] == "e6"
    peer.close()


async def test_the_daemon_asks_the_peer_while_still_reading(
    paths: Paths, listening: EchoHandler
) -> None:
    peer = await Peer.connect(paths)
    await peer.send({"id": "e7", "method": "ask", "params": {}})
    question = await peer.receive()
    assert question == {"id": "d1", "method": "tree.get", "params": {}}
    await peer.send({"id": "d1", "result": {"tree": []}})
    assert await peer.receive() == {"id": "e7", "result": {"tree": []}}
    peer.close()


async def test_an_unanswered_daemon_request_times_out(paths: Paths, listening: EchoHandler) -> None:
    peer = await Peer.connect(paths)
    await peer.send({"id": "e8", "method": "ask", "params": {"timeout": 0.05}})
    assert (await peer.receive())["method"] == "tree.get"  # and never answered
    answer = await peer.receive()
    assert answer["id"] == "e8" and answer["error"]["code"] == "timeout"
    peer.close()


async def test_many_connections_at_once(paths: Paths, listening: EchoHandler) -> None:
    peers = [await Peer.connect(paths) for _ in range(20)]
    for number, peer in enumerate(peers):
        await peer.send({"id": f"e{number}", "method": "echo", "params": {"n": number}})
    for number, peer in reversed(list(enumerate(peers))):
        assert await peer.receive() == {"id": f"e{number}", "result": {"n": number}}
    await peers[0].send({"method": "bookmarks.changed", "params": {"events": []}})
    await asyncio.wait_for(listening.noticed.wait(), 5)
    for peer in peers:
        peer.close()


async def test_a_second_daemon_is_refused_by_the_lock(paths: Paths, listening: EchoHandler) -> None:
    second = Listener(paths, lambda r, w: asyncio.sleep(0))
    with pytest.raises(AlreadyRunningError) as caught:
        await second.start()
    assert str(os.getpid()) in caught.value.message
    # …and the first one's socket is untouched.
    peer = await Peer.connect(paths)
    await peer.send({"id": "e1", "method": "echo", "params": {}})
    assert (await peer.receive())["id"] == "e1"
    peer.close()


def test_the_lock_is_free_again_once_released(paths: Paths) -> None:
    with InstanceLock(paths.lock_file), pytest.raises(AlreadyRunningError):
        InstanceLock(paths.lock_file).acquire()
    with InstanceLock(paths.lock_file):
        pass


async def test_a_stale_socket_from_a_crash_is_replaced(paths: Paths) -> None:
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(paths.socket_path))
    stale.close()  # a crashed daemon leaves the file behind
    handler = EchoHandler()

    async def on_connection(reader, writer) -> None:
        await Connection(reader, writer, handler).serve()

    listener = Listener(paths, on_connection)
    await listener.start()
    peer = await Peer.connect(paths)
    await peer.send({"id": "e1", "method": "echo", "params": {}})
    assert (await peer.receive())["id"] == "e1"
    peer.close()
    await listener.stop()
    assert not paths.socket_path.exists()


def test_something_else_at_the_socket_path_is_never_deleted(paths: Paths) -> None:
    paths.socket_path.write_text("my notes")
    with pytest.raises(UnsafeRuntimeDirError):
        remove_stale_socket(paths.socket_path)
    assert paths.socket_path.read_text() == "my notes"


def test_peer_uid_comes_from_the_kernel() -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    try:
        assert peer_uid(left) == os.getuid()
    finally:
        left.close()
        right.close()


def test_another_user_is_refused() -> None:
    check_peer(1000, 1000)
    with pytest.raises(PeerRefusedError, match="uid 0"):
        check_peer(0, 1000)
    with pytest.raises(PeerRefusedError):
        check_peer(1001, 1000)


async def test_a_connection_from_another_uid_is_closed_unheard(
    paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    from daemon.service import server

    monkeypatch.setattr(server, "peer_uid", lambda sock: os.getuid() + 1)
    handler = EchoHandler()
    reached = []

    async def on_connection(reader, writer) -> None:
        reached.append(True)

    listener = Listener(paths, on_connection)
    await listener.start()
    peer = await Peer.connect(paths)
    await peer.send({"id": "e1", "method": "echo", "params": {}})
    with contextlib.suppress(ConnectionResetError):  # a reset is a refusal too
        assert await asyncio.wait_for(peer.reader.read(), 5) == b""
    assert reached == [] and handler.closed == 0
    peer.close()
    await listener.stop()


async def test_an_answer_or_a_request_over_the_limit_becomes_a_clear_error(
    paths: Paths, listening: EchoHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(protocol, "MAX_FRAME_BYTES", 1000)
    peer = await Peer.connect(paths)
    await peer.send({"id": "e1", "method": "big", "params": {"size": 2000}})
    answer = await peer.receive()
    assert answer["id"] == "e1" and answer["error"]["code"] == "too-large"
    await peer.send({"id": "e2", "method": "ask_big", "params": {"size": 2000}})
    answer = await peer.receive()  # the daemon never sent the oversize request
    assert answer["id"] == "e2" and answer["error"]["code"] == "too-large"
    await peer.send({"id": "e3", "method": "big", "params": {"size": 10}})
    assert await peer.receive() == {"id": "e3", "result": "x" * 10}
    peer.close()


async def test_a_socket_path_that_cannot_work_is_a_plain_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    from daemon.service.server import CannotListenError

    deep = tmp_path / ("x" * 60) / ("y" * 60)
    paths = Paths(deep / "config", deep / "data", deep / "log", deep / "run")
    listener = Listener(paths, lambda r, w: asyncio.sleep(0))
    with pytest.raises(CannotListenError, match="cannot listen"):
        await listener.start()
    with InstanceLock(paths.lock_file):  # the lock was given back
        pass
