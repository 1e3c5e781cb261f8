"""Fixtures for the host tests: a short FOXBRIDGE_HOME (Unix socket paths are limited
to about 100 bytes, too few for pytest's tmp_path), the environment the browser would
give the host, and the fake daemon."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.host.doubles import FakeDaemon, HostProcess


@pytest.fixture
def short_home() -> Iterator[Path]:
    home = Path(tempfile.mkdtemp(prefix="fbh-", dir="/tmp"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def host_env(short_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["FOXBRIDGE_HOME"] = str(short_home)
    env.pop("FOXBRIDGE_HOST_DAEMON_COMMAND", None)
    return env


@pytest.fixture
def fake_daemon(short_home: Path) -> Iterator[FakeDaemon]:
    daemon = FakeDaemon(short_home / "run" / "daemon.sock")
    yield daemon
    daemon.close()


@pytest.fixture
def start_host(host_env: dict[str, str]) -> Iterator:
    started: list[HostProcess] = []

    def start(origin: str, env: dict[str, str] | None = None) -> HostProcess:
        host = HostProcess(origin, env or host_env)
        started.append(host)
        return host

    yield start
    for host in started:
        host.stop()
