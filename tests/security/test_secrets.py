"""No secret leaves the keyring and memory: an end-to-end sweep.

A real daemon process and the CLI sign in with a password, sync and sign out, against
the local stack. The stack hands out the session, key-fetch, refresh and access tokens,
so the test knows them all (wrapping the stack's token factories); the keyring file the
daemon wrote adds whatever else it keeps. None of these, nor the password nor kSync in
any encoding, may show up in a file under FOXBRIDGE_HOME, the log, the daemon's output,
any process's argv, a frame the extension received, or the CLI's output.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from daemon.service.client import call
from host import EXTENSION_ORIGIN
from tests.host.doubles import HostProcess
from tests.service.fake_extension import FakeExtension
from tests.service.test_daemon_process import EMAIL, PASSWORD, REPO, DaemonProcess


class Secrets:
    """Every secret value seen so far, and how each may be spelled."""

    def __init__(self) -> None:
        self.values: set[bytes] = set()
        self.texts: set[str] = {PASSWORD}

    def add_bytes(self, value: bytes) -> None:
        self.values.add(value)

    def add_text(self, value: str) -> None:
        self.texts.add(value)
        with contextlib.suppress(ValueError):
            self.add_bytes(bytes.fromhex(value))

    def spellings(self) -> set[str]:
        out = set(self.texts)
        for value in self.values:
            parts = [value]
            if len(value) == 64:  # kSync: its encryption and HMAC halves are secrets too
                parts += [value[:32], value[32:]]
            for part in parts:
                out.add(part.hex())
                out.add(part.hex().upper())
                out.add(base64.b64encode(part).decode())
                out.add(base64.urlsafe_b64encode(part).decode().rstrip("="))
        return {s for s in out if len(s) >= 16}

    def found_in(self, data: bytes | str) -> list[str]:
        text = data.decode("latin-1") if isinstance(data, bytes) else data
        return sorted(s for s in self.spellings() if s in text)


def _strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
        with contextlib.suppress(ValueError):
            yield from _strings_in(json.loads(value))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)


@pytest.fixture
def secrets_seen(stack_thread, monkeypatch) -> Secrets:
    """Record every token the stack's FxA server issues, raw."""
    seen = Secrets()
    state = stack_thread.stack.fxa.state

    def recording(name: str, pick) -> None:
        original = getattr(state, name)

        def wrapper(*args, **kwargs):
            result = original(*args, **kwargs)
            pick(result)
            return result

        monkeypatch.setattr(state, name, wrapper)

    recording("new_session", lambda r: seen.add_text(r[0]))
    recording("new_key_fetch_token", seen.add_text)
    recording("issue_refresh_token", lambda r: seen.add_text(r if isinstance(r, str) else r[0]))
    recording("issue_access_token", seen.add_text)
    return seen


class RecordingReader:
    """A stream reader that keeps a copy of everything read through it."""

    def __init__(self, reader: asyncio.StreamReader, into: list[bytes]) -> None:
        self._reader, self._into = reader, into

    async def readexactly(self, n: int) -> bytes:
        data = await self._reader.readexactly(n)
        self._into.append(data)
        return data


class RecordingExtension(FakeExtension):
    def __init__(self, profile_id: str) -> None:
        super().__init__(profile_id)
        self.received: list[bytes] = []

    async def connect(self, socket_path: Path, *, hello: bool = True) -> FakeExtension:
        await super().connect(socket_path, hello=False)
        assert self._task is not None
        self._task.cancel()  # restart the reader on a recording stream
        self._reader = RecordingReader(self._reader, self.received)  # type: ignore[assignment]
        self._task = asyncio.get_running_loop().create_task(self._read_loop())
        if hello:
            profile = {"id": self.profile_id, "browser": "Chromium", "name": "Test"}
            self.hello_answer = await self.request("hello", {"profile": profile, "version": "0"})
        return self


def _cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def _cli(daemon: DaemonProcess, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "daemon", *args],
        cwd=REPO,
        env=daemon.env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def daemon(short_home: Path, tmp_path: Path) -> Iterator[DaemonProcess]:
    running = DaemonProcess(short_home, tmp_path / "keyring.json")
    yield running
    running.stop()


async def test_no_secret_leaves_the_keyring(
    daemon: DaemonProcess, stack_thread, secrets_seen: Secrets, tmp_path: Path
) -> None:
    async def create():
        return stack_thread.stack.fxa.create_account(EMAIL, PASSWORD, verification="none")

    account = stack_thread.call(create())
    secrets_seen.add_bytes(account.ksync)
    keyring_file = tmp_path / "keyring.json"
    outputs: list[str] = []
    argvs: list[bytes] = [_cmdline(daemon.process.pid)]

    def remember_keyring() -> None:
        if keyring_file.exists():
            for text in _strings_in(json.loads(keyring_file.read_text())):
                if len(text) >= 16 and "@" not in text and "://" not in text:
                    secrets_seen.add_text(text)
                    with contextlib.suppress(ValueError):
                        secrets_seen.add_bytes(base64.b64decode(text, validate=True))

    # Through the daemon (IPC): sign in, sync, status, sign out.
    extension = RecordingExtension("p-secrets")
    await extension.connect(daemon.paths.socket_path)
    try:
        answer = await extension.request(
            "login.password", {"email": EMAIL, "password": PASSWORD, "server": stack_thread.url}
        )
        assert answer == {"state": "signed-in"}
        assert len(secrets_seen.texts) >= 3  # the password, a session and a refresh token
        remember_keyring()
        # The sweep does recognise secrets where they are meant to be.
        assert secrets_seen.found_in(keyring_file.read_text())
        extension.tree.create("1", "A bookmark", "https://example.com/")
        await extension.request("sync.now", {})
        await extension.wait_synced()
        outputs.append(json.dumps(await call(daemon.paths, "status")))
        argvs.append(_cmdline(daemon.process.pid))
        assert await extension.request("logout", {}) == {}
    finally:
        await extension.close()

    # Through the host, as the browser reaches the daemon.
    host = HostProcess(EXTENSION_ORIGIN, daemon.env)
    try:
        argvs.append(_cmdline(host.process.pid))
        host.send({"id": "e1", "method": "status", "params": {}})
        outputs.append(json.dumps(host.receive()))
        host.close_stdin()
        assert host.wait() == 0
        outputs.append(host.stderr())
    finally:
        host.stop()

    # Through the command line: sign in, sync (daemon and tree file), status, doctor, out.
    login = _cli(
        daemon, "login", "--email", EMAIL, "--password-stdin", "--server", stack_thread.url,
        stdin=PASSWORD,
    )  # fmt: skip
    assert login.returncode == 0, login.stderr
    remember_keyring()
    tree_file = daemon.home / "tree.json"
    runs = [
        _cli(daemon, "sync"),
        _cli(daemon, "sync", "--tree-file", str(tree_file), "--json"),
        _cli(daemon, "status", "--json"),
        _cli(daemon, "status"),
        _cli(daemon, "doctor"),
        _cli(daemon, "logout"),
    ]
    assert runs[1].returncode == 0, runs[1].stderr
    assert runs[-1].returncode == 0, runs[-1].stderr
    outputs += [login.stdout, login.stderr]
    outputs += [run.stdout + run.stderr for run in runs]
    argvs.append(_cmdline(daemon.process.pid))

    assert len(secrets_seen.spellings()) > 20  # tokens were issued and seen
    leaks: dict[str, list[str]] = {}
    for path in sorted(p for p in daemon.home.rglob("*") if p.is_file()):
        if found := secrets_seen.found_in(path.read_bytes()):
            leaks[str(path)] = found
    for number, frame in enumerate(extension.received):
        if found := secrets_seen.found_in(frame):
            leaks[f"frame {number} to the extension"] = found
    for number, text in enumerate(outputs):
        if found := secrets_seen.found_in(text):
            leaks[f"output {number}"] = found
    for number, argv in enumerate(argvs):
        if found := secrets_seen.found_in(argv):
            leaks[f"argv {number}"] = found
    assert not leaks, leaks
    # What foxbridge keeps on disk is the user's alone: its folders are private.
    for folder in ("config", "data", "log", "run"):
        assert stat.S_IMODE((daemon.home / folder).stat().st_mode) == 0o700, folder
    for path in (daemon.home / "data").rglob("*"):
        assert not stat.S_IMODE(path.stat().st_mode) & 0o077, path
    assert extension.received  # the sweep looked at real traffic
    assert daemon.paths.log_file.read_text()  # the log was written, and swept
