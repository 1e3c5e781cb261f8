"""Stand-ins for the two peers of the host: a daemon on a Unix socket, and the browser.

``FakeDaemon`` listens on the socket in a thread of the test process and records what
each connection sends. ``HostProcess`` runs the real host as the browser does (a child
process, the origin as argv[1], frames on stdin/stdout). Run as a script, this module
is a stand-in daemon command for the auto-start tests: it listens on the socket at the
path given, writes its pid next to it, and echoes every frame back.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LE = struct.Struct("<I")
NATIVE = struct.Struct("=I")
TIMEOUT = 10.0


def read_exactly(read, size: int) -> bytes:
    data = b""
    while len(data) < size:
        part = read(size - len(data))
        if not part:
            break
        data += part
    return data


def read_le_frame(sock: socket.socket) -> bytes | None:
    head = read_exactly(sock.recv, 4)
    if len(head) < 4:
        return None
    return read_exactly(sock.recv, LE.unpack(head)[0])


def le_frame(message: object) -> bytes:
    body = json.dumps(message).encode()
    return LE.pack(len(body)) + body


class DaemonConnection:
    """One host's connection as the daemon sees it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.frames: queue.Queue[bytes | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            while (frame := read_le_frame(self.sock)) is not None:
                self.frames.put(frame)
        except OSError:
            pass
        self.frames.put(None)

    def receive(self) -> dict:
        frame = self.frames.get(timeout=TIMEOUT)
        assert frame is not None, "the host closed the connection"
        return json.loads(frame)

    def receive_raw(self) -> bytes | None:
        return self.frames.get(timeout=TIMEOUT)

    def send(self, message: object) -> None:
        self.sock.sendall(le_frame(message))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        # shutdown() first: close() alone sends nothing while our reader thread is in recv().
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class FakeDaemon:
    def __init__(self, socket_path: Path) -> None:
        socket_path.parent.mkdir(parents=True, exist_ok=True)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(socket_path))
        self.listener.listen()
        self.connections: queue.Queue[DaemonConnection] = queue.Queue()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.connections.put(DaemonConnection(sock))

    def accept(self) -> DaemonConnection:
        return self.connections.get(timeout=TIMEOUT)

    def close(self) -> None:
        self.listener.close()


class HostProcess:
    """The real host, started the way the browser starts it."""

    def __init__(self, origin: str, env: dict[str, str]) -> None:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "host", origin],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._frames: queue.Queue[bytes | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            head = read_exactly(stdout.read, 4)
            if len(head) < 4:
                break
            self._frames.put(read_exactly(stdout.read, NATIVE.unpack(head)[0]))
        self._frames.put(None)

    def send(self, message: object) -> None:
        self.send_raw_body(json.dumps(message).encode())

    def send_raw_body(self, body: bytes) -> None:
        self.write(NATIVE.pack(len(body)) + body)

    def write(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def close_stdin(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()

    def receive_raw(self) -> bytes | None:
        return self._frames.get(timeout=TIMEOUT)

    def receive(self) -> dict:
        frame = self.receive_raw()
        assert frame is not None, f"the host closed stdout; stderr: {self.stderr()}"
        return json.loads(frame)

    def wait(self) -> int:
        return self.process.wait(timeout=TIMEOUT)

    def stderr(self) -> str:
        if self.process.poll() is None:
            return "(still running)"
        assert self.process.stderr is not None
        return self.process.stderr.read().decode()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=TIMEOUT)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def _echo_daemon(socket_path: Path) -> None:
    """The stand-in daemon command: echo every frame of every connection."""
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(socket_path))
    listener.listen()
    (socket_path.parent / "stand-in.pid").write_text(str(os.getpid()))

    def serve(sock: socket.socket) -> None:
        with sock:
            while (frame := read_le_frame(sock)) is not None:
                sock.sendall(LE.pack(len(frame)) + frame)

    while True:
        sock, _ = listener.accept()
        threading.Thread(target=serve, args=(sock,), daemon=True).start()


if __name__ == "__main__":
    _echo_daemon(Path(sys.argv[1]))
