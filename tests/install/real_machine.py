"""A temporary HOME in which the real installer, daemon and host run as subprocesses.

The machine's own systemd user manager (if any) is hidden behind a ``systemctl`` that
reports none, so nothing is ever enabled outside the temporary HOME. When no OS keyring
is usable in this test process, a keyring kept in memory stands in for it (the suite
runs under ``tests/tools/with-keyring.sh``, where the real Secret Service is used).
"""

from __future__ import annotations

import json
import os
import selectors
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

NO_USER_SYSTEMD = """#!/bin/sh
echo "Failed to connect to bus: No medium found" >&2
exit 1
"""

STAND_IN_KEYRING = """
from keyring.backend import KeyringBackend


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self):
        super().__init__()
        self.entries = {}

    def get_password(self, service, username):
        return self.entries.get((service, username))

    def set_password(self, service, username, password):
        self.entries[(service, username)] = password

    def delete_password(self, service, username):
        self.entries.pop((service, username), None)
"""


def real_keyring_usable(env: dict[str, str]) -> bool:
    """Asked in a fresh process: in this one, test doubles may have replaced the keyring."""
    probe = "from daemon.fxa import secrets; secrets.check_available()"
    return run([sys.executable, "-c", probe], with_checkout(env), timeout=60).returncode == 0


def sandbox_env(root: Path, *, foxbridge_home: Path | None) -> dict[str, str]:
    """An environment whose HOME, runtime folder and PATH live under ``root``."""
    home, runtime, fake_bin, pylib = (root / n for n in ("home", "run", "fake-bin", "pylib"))
    for folder in (home, runtime, fake_bin, pylib):
        folder.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o700)
    systemctl = fake_bin / "systemctl"
    systemctl.write_text(NO_USER_SYSTEMD)
    systemctl.chmod(0o755)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("XDG_", "FOXBRIDGE_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_CACHE_HOME=str(root / "cache"),
        PATH=f"{fake_bin}{os.pathsep}{env.get('PATH', '')}",
    )
    if foxbridge_home is not None:
        env["FOXBRIDGE_HOME"] = str(foxbridge_home)
    if not real_keyring_usable(env):
        (pylib / "stand_in_keyring.py").write_text(STAND_IN_KEYRING)
        env["PYTHONPATH"] = str(pylib)
        env["PYTHON_KEYRING_BACKEND"] = "stand_in_keyring.MemoryKeyring"
    return env


def run(argv: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def with_checkout(env: dict[str, str]) -> dict[str, str]:
    """``env`` for processes of the test environment's Python, running this checkout.

    The browser would start the launcher with its own environment; here the launcher's
    Python is the test environment's, which finds foxbridge through this path.
    """
    search = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return {**env, "PYTHONPATH": search}


def foxbridge(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """The CLI from this checkout, run by the test environment's Python."""
    return run([sys.executable, "-m", "daemon", *args], with_checkout(env))


def native_exchange(
    launcher: str, origin: str, message: dict[str, Any], env: dict[str, str], timeout: float = 20
) -> tuple[dict[str, Any], int]:
    """Start ``launcher`` as the browser does, send one framed message, read the answer
    with the same id, close the port; the answer and the launcher's exit status."""
    process = subprocess.Popen(
        [launcher, origin],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=with_checkout(env),
        cwd=str(Path(launcher).parent),
    )
    assert process.stdin is not None and process.stdout is not None
    body = json.dumps(message).encode()
    process.stdin.write(struct.pack("=I", len(body)) + body)
    process.stdin.flush()
    deadline = time.monotonic() + timeout
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    buffer = b""
    try:
        while True:
            while len(buffer) >= 4:
                (length,) = struct.unpack("=I", buffer[:4])
                if len(buffer) < 4 + length:
                    break
                answer = json.loads(buffer[4 : 4 + length])
                buffer = buffer[4 + length :]
                if answer.get("id") == message["id"]:
                    process.stdin.close()
                    return answer, process.wait(timeout=max(1.0, deadline - time.monotonic()))
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise TimeoutError("no answer through the launcher")
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError(
                    f"the host closed its output: {process.stderr.read().decode()}"  # type: ignore[union-attr]
                )
            buffer += chunk
    finally:
        selector.close()
        if process.poll() is None:
            process.kill()
            process.wait()


def everything_under(root: Path, *, skip: tuple[str, ...] = ()) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if not any(str(p.relative_to(root)).startswith(s) for s in skip)
    }
