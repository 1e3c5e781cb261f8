"""The daemon's socket under random frames, envelopes, methods and params.

One real daemon process (not signed in) takes a stream of hostile connections; after
each, it still answers a well-formed request on that connection and on a connection
opened before the fuzzing began. No answer is ever an ``internal`` error.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from daemon.service import protocol
from daemon.service.connection import Connection
from daemon.service.protocol import METHODS, ProtocolError
from daemon.service.server import peer_uid
from tests.security.strategies import JSON
from tests.service.test_daemon_process import DaemonProcess

FRAME = struct.Struct("<I")
ANSWER_WITHIN = 10.0


@pytest.fixture(scope="module")
def daemon(tmp_path_factory) -> Iterator[DaemonProcess]:
    import shutil
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="fbsec-", dir="/tmp"))
    running = DaemonProcess(home, tmp_path_factory.mktemp("keyring") / "keyring.json")
    yield running
    assert running.stop() == 0
    log = running.paths.log_file.read_text() if running.paths.log_file.exists() else ""
    assert "Traceback" not in log, log
    shutil.rmtree(home, ignore_errors=True)


class RawPeer:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, path: Path) -> RawPeer:
        return cls(*await asyncio.open_unix_connection(str(path)))

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def answers_until(self, request_id: str) -> list[dict[str, Any]]:
        """Every message received up to and including the answer to ``request_id``."""
        got: list[dict[str, Any]] = []
        while True:
            header = await asyncio.wait_for(self.reader.readexactly(4), ANSWER_WITHIN)
            (length,) = FRAME.unpack(header)
            got.append(json.loads(await self.reader.readexactly(length)))
            if got[-1].get("id") == request_id:
                return got

    async def close(self) -> None:
        self.writer.close()


def frame(payload: bytes) -> bytes:
    return FRAME.pack(len(payload)) + payload


PROBE = {"id": "probe", "method": "settings.get", "params": {}}

METHOD_NAMES = st.sampled_from(sorted(METHODS)) | st.text(max_size=70)
IDS = st.text(min_size=1, max_size=8) | JSON
ENVELOPES = st.fixed_dictionaries(
    {},
    optional={
        "id": IDS,
        "method": METHOD_NAMES | JSON,
        "params": st.dictionaries(st.text(max_size=12), JSON, max_size=4) | JSON,
        "result": JSON,
        "error": JSON,
    },
)
PAYLOADS = st.one_of(
    ENVELOPES.map(lambda m: json.dumps(m).encode()),
    JSON.map(lambda m: json.dumps(m).encode()),
    st.binary(max_size=40),
    st.sampled_from([b"", b"{", b"\xff\xfe", b'{"id":"a","method":"status","params":NaN}']),
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(PAYLOADS, min_size=1, max_size=6), st.booleans())
@example(
    [json.dumps({"id": "x", "error": {"code": "a", "message": "b", "data": [1]}}).encode()], False
)
@example([json.dumps({"id": "h", "method": "hello", "params": {"role": "cli"}}).encode()], True)
@example([b"[" * 100_000 + b"]" * 100_000], False)  # nesting deeper than Python's stack
async def test_random_messages_get_plain_errors_and_the_daemon_lives_on(
    daemon: DaemonProcess, payloads: list[bytes], then_cut: bool
) -> None:
    bystander = await RawPeer.connect(daemon.paths.socket_path)
    peer = await RawPeer.connect(daemon.paths.socket_path)
    try:
        await peer.write(b"".join(frame(p) for p in payloads))
        await peer.write(frame(json.dumps(PROBE).encode()))
        answers = await peer.answers_until("probe")
        assert "sync_interval" in answers[-1]["result"]
        for answer in answers:
            if "error" in answer:
                assert answer["error"]["code"] != "internal", answer
                assert isinstance(answer["error"]["message"], str)
        if then_cut:  # a frame cut short, then the peer goes away
            await peer.write(FRAME.pack(100) + b"{")
        await peer.close()
        await bystander.write(frame(json.dumps(PROBE).encode()))
        assert "result" in (await bystander.answers_until("probe"))[-1]
    finally:
        await peer.close()
        await bystander.close()
    assert daemon.process.poll() is None


# Methods whose every parameter is fuzzed (sign-ins that reach out to servers aside).
PARAM_KEYS = {
    "hello": ["profile", "version", "role"],
    "status": [],
    "login.code": ["code"],
    "logout": [],
    "sync.now": [],
    "sync.pause": [],
    "sync.resume": [],
    "sync.confirm": [],
    "bookmarks.changed": ["events"],
    "settings.get": [],
    "settings.set": [
        "sync_interval", "menu_placement", "brake_max_share", "brake_max_count",
        "snapshots_keep", "paused",
    ],
    "snapshots.list": [],
    "snapshots.restore": ["id"],
}  # fmt: skip
EVENTS = st.lists(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["created", "changed", "moved", "removed"]) | JSON},
        optional={"id": st.text(max_size=6) | JSON, "at": JSON},
    ),
    max_size=3,
)


@st.composite
def calls(draw: st.DrawFn) -> dict[str, Any]:
    method = draw(st.sampled_from(sorted(PARAM_KEYS)))
    keys = PARAM_KEYS[method]
    values = {key: EVENTS if key == "events" else JSON for key in keys}
    params = draw(st.fixed_dictionaries({}, optional=values))
    return {"id": draw(st.text(min_size=1, max_size=6)), "method": method, "params": params}


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(calls(), min_size=1, max_size=5))
@example([{"id": "c", "method": "bookmarks.changed", "params": {"events": [
    {"type": "changed", "id": "5", "at": float("inf")}]}}])  # fmt: skip
@example([{"id": "c", "method": "bookmarks.changed", "params": {"events": [
    {"type": "changed", "id": "5", "at": float("nan")}]}}])  # fmt: skip
async def test_random_params_of_every_method_are_checked(
    daemon: DaemonProcess, messages: list[dict[str, Any]]
) -> None:
    peer = await RawPeer.connect(daemon.paths.socket_path)
    try:
        hello = {"profile": {"id": "fuzz", "browser": "B", "name": "N"}, "version": "0"}
        await peer.write(
            frame(json.dumps({"id": "h", "method": "hello", "params": hello}).encode())
        )
        for message in messages:
            if message["method"] in ("bookmarks.changed",):
                del message["id"]  # a notification: never answered
            await peer.write(frame(json.dumps(message).encode()))
        await peer.write(frame(json.dumps(PROBE).encode()))
        answers = await peer.answers_until("probe")
        for answer in answers:
            if "error" in answer:
                assert answer["error"]["code"] != "internal", answer
    finally:
        await peer.close()
    log = daemon.paths.log_file.read_text() if daemon.paths.log_file.exists() else ""
    assert "Traceback" not in log, log[-3000:]


async def test_a_frame_over_64_mib_is_discarded_with_an_error(daemon: DaemonProcess) -> None:
    peer = await RawPeer.connect(daemon.paths.socket_path)
    try:
        size = protocol.MAX_FRAME_BYTES + 1
        await peer.write(FRAME.pack(size))
        chunk = b" " * (1 << 20)
        for _ in range(size // len(chunk)):
            peer.writer.write(chunk)
            await peer.writer.drain()
        await peer.write(b" " * (size % len(chunk)))
        await peer.write(frame(json.dumps(PROBE).encode()))
        answers = await peer.answers_until("probe")
        assert [a["error"]["code"] for a in answers[:-1]] == ["too-large"]
    finally:
        await peer.close()


def test_the_socket_is_private_to_the_user(daemon: DaemonProcess) -> None:
    assert stat.S_IMODE(daemon.paths.socket_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(daemon.paths.runtime_dir.stat().st_mode) == 0o700
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(daemon.paths.socket_path))
        assert peer_uid(sock) == os.getuid()


async def test_an_error_answer_with_odd_data_fails_only_its_call() -> None:
    """The peer answers the daemon's own request with an error whose ``data`` is no object."""

    class Quiet:
        async def handle_request(self, connection, request):  # never called here
            raise AssertionError

        async def handle_notification(self, connection, notification):
            raise AssertionError

        async def connection_closed(self, connection):
            pass

    daemon_side, peer_side = socket.socketpair()
    reader, writer = await asyncio.open_unix_connection(sock=daemon_side)
    peer_reader, peer_writer = await asyncio.open_unix_connection(sock=peer_side)
    connection = Connection(reader, writer, Quiet())
    serving = asyncio.create_task(connection.serve())
    try:
        for data in ([1], "text", 5):
            call = asyncio.create_task(connection.call("tree.get", {}))
            (length,) = FRAME.unpack(await peer_reader.readexactly(4))
            asked = json.loads(await peer_reader.readexactly(length))
            error = {"code": "failed", "message": "no", "data": data}
            peer_writer.write(frame(json.dumps({"id": asked["id"], "error": error}).encode()))
            with pytest.raises(ProtocolError):
                await asyncio.wait_for(call, ANSWER_WITHIN)
        assert not serving.done()  # the connection reads on
    finally:
        peer_writer.close()
        await asyncio.wait_for(serving, ANSWER_WITHIN)
