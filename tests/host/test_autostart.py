"""The host starts the daemon when nobody listens on the socket."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from host import EXTENSION_ORIGIN
from host.launcher import AFTER_EXIT_GRACE, DAEMON_COMMAND_ENV

STAND_IN = Path(__file__).with_name("doubles.py")


@pytest.fixture
def stand_in_env(host_env: dict[str, str], short_home: Path) -> Iterator[dict[str, str]]:
    socket_path = short_home / "run" / "daemon.sock"
    env = dict(host_env)
    env[DAEMON_COMMAND_ENV] = json.dumps([sys.executable, str(STAND_IN), str(socket_path)])
    yield env
    pid_file = short_home / "run" / "stand-in.pid"
    if pid_file.exists():  # the host detached it: stopping it is ours to do
        os.kill(int(pid_file.read_text()), signal.SIGKILL)


def test_the_host_starts_the_daemon_detached_and_relays_to_it(
    start_host, stand_in_env: dict[str, str], short_home: Path
) -> None:
    host = start_host(EXTENSION_ORIGIN, stand_in_env)
    # The stand-in echoes: the host's own hello comes back first.
    assert host.receive()["method"] == "host.hello"
    host.send({"id": "e1", "method": "status", "params": {}})
    assert host.receive() == {"id": "e1", "method": "status", "params": {}}

    daemon_pid = int((short_home / "run" / "stand-in.pid").read_text())
    assert os.getsid(daemon_pid) == daemon_pid  # a session of its own
    assert os.getsid(daemon_pid) != os.getsid(host.process.pid)

    # The browser ends the host; the daemon lives on and serves the next host.
    host.process.kill()
    host.wait()
    os.kill(daemon_pid, 0)
    second = start_host(EXTENSION_ORIGIN, stand_in_env)
    assert second.receive()["method"] == "host.hello"
    assert int((short_home / "run" / "stand-in.pid").read_text()) == daemon_pid


def test_a_daemon_that_cannot_start_is_reported_to_the_extension(
    start_host, host_env: dict[str, str]
) -> None:
    env = dict(host_env)
    env[DAEMON_COMMAND_ENV] = json.dumps([sys.executable, "-c", "raise SystemExit(3)"])
    started = time.perf_counter()
    host = start_host(EXTENSION_ORIGIN, env)
    message = host.receive()
    assert message["method"] == "host.error"
    assert message["params"]["code"] == "daemon-unavailable"
    assert "exited with status 3" in message["params"]["message"]
    assert host.wait() == 1
    # It gave up soon after the daemon exited, not at the full start timeout.
    assert time.perf_counter() - started < AFTER_EXIT_GRACE + 5


def test_a_daemon_command_that_does_not_exist_is_reported(
    start_host, host_env: dict[str, str]
) -> None:
    env = dict(host_env)
    env[DAEMON_COMMAND_ENV] = json.dumps(["/nonexistent/foxbridge-daemon"])
    host = start_host(EXTENSION_ORIGIN, env)
    message = host.receive()
    assert message["method"] == "host.error"
    assert "Cannot start the foxbridge daemon" in message["params"]["message"]
    assert host.wait() == 1
    assert "Cannot start the foxbridge daemon" in host.stderr()


def test_the_host_starts_the_real_daemon(start_host, host_env: dict[str, str]) -> None:
    from tests.e2e.daemon import daemon_running, stop_daemon

    home = Path(host_env["FOXBRIDGE_HOME"])
    try:
        host = start_host(EXTENSION_ORIGIN)
        host.send({"id": "e1", "method": "hello", "params": {"role": "cli", "version": "0"}})
        answer = host.receive()
        while answer.get("id") != "e1":  # status notifications may come first
            answer = host.receive()
        assert "result" in answer, answer
        assert daemon_running(home)
        host.close_stdin()
        assert host.wait() == 0
        assert daemon_running(home)  # it outlives the host
    finally:
        stop_daemon(home)


def test_a_browser_gone_before_the_error_notice_gets_no_traceback(
    host_env: dict[str, str],
) -> None:
    import subprocess

    env = dict(host_env)
    env[DAEMON_COMMAND_ENV] = json.dumps(["/nonexistent/foxbridge-daemon"])
    process = subprocess.Popen(
        [sys.executable, "-m", "host", EXTENSION_ORIGIN],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()  # the browser's end of the pipe is gone
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 1
    assert b"Traceback" not in stderr
    assert b"Cannot start the foxbridge daemon" in stderr
