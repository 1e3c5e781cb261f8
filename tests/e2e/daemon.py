"""The real daemon in the end-to-end tests: started, reached, and stopped.

The daemon may be started by a fixture (``DaemonProcess``) or by the host when the
extension connects first; either way its pid is in the lock file, and ``stop_daemon``
ends it (the browser only ever kills the host). ``DaemonClient`` talks to the daemon
over its socket the way the host does, for set-up steps that are not under test.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from host import EXTENSION_ORIGIN, HOST_VERSION
from tests.e2e.browser import REPO, wait_until

FRAME = struct.Struct("<I")


def daemon_env(home: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env["FOXBRIDGE_HOME"] = str(home)
    env["PYTHONPATH"] = str(REPO)
    return env


def socket_path(home: Path) -> Path:
    return home / "run" / "daemon.sock"


def daemon_pid(home: Path) -> int | None:
    lock = home / "run" / "daemon.lock"
    with contextlib.suppress(OSError, ValueError):
        return int(lock.read_text().strip())
    return None


def daemon_running(home: Path) -> bool:
    pid = daemon_pid(home)
    return pid is not None and _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    return True


def stop_daemon(home: Path, timeout: float = 10.0) -> None:
    """Stop the daemon that runs for ``home``, whoever started it."""
    pid = daemon_pid(home)
    if pid is None or not _alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


class DaemonProcess:
    """``python -m daemon daemon`` for one FOXBRIDGE_HOME, started by the test."""

    def __init__(self, home: Path, env: dict[str, str] | None = None) -> None:
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self._log = open(home / "daemon.out", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daemon", "daemon"],
            cwd=REPO,
            env=daemon_env(home, env),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            start_new_session=True,
        )
        wait_until(self._ready, "the daemon's socket", timeout=30)

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            output = (self.home / "daemon.out").read_text(errors="replace")
            raise AssertionError(f"the daemon exited with {self.process.returncode}:\n{output}")
        with contextlib.suppress(OSError), DaemonClient(self.home) as _:
            return True
        return False

    def stop(self) -> None:
        stop_daemon(self.home)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self._log.close()


class DaemonError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")


class DaemonClient:
    """A plain client on the daemon's socket (not a browser profile)."""

    def __init__(self, home: Path, timeout: float = 60.0) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(str(socket_path(home)))
        except OSError:
            self._sock.close()
            raise
        self._ids = itertools.count(1)
        self._send(
            {
                "method": "host.hello",
                "params": {"origin": EXTENSION_ORIGIN, "host_version": HOST_VERSION},
            }
        )
        self.request("hello", {"role": "cli", "version": HOST_VERSION})

    def __enter__(self) -> DaemonClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._sock.close()

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        self._sock.sendall(FRAME.pack(len(body)) + body)

    def _receive(self) -> dict[str, Any]:
        head = self._read(4)
        return json.loads(self._read(FRAME.unpack(head)[0]))

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            part = self._sock.recv(size - len(data))
            if not part:
                raise ConnectionError("the daemon closed the connection")
            data += part
        return data

    def request(self, method: str, params: dict[str, Any] | None = None) -> Any:
        request_id = f"t{next(self._ids)}"
        self._send({"id": request_id, "method": method, "params": params or {}})
        while True:
            message = self._receive()
            if message.get("id") != request_id:
                continue  # notifications (status) are not what we wait for
            if "error" in message:
                raise DaemonError(message["error"])
            return message["result"]
