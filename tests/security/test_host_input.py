"""The native host against a hostile browser side and a misbehaving daemon.

The real host runs as a child process, as the browser starts it. Whatever arrives on
its stdin it relays only complete frames, exits with 0 or 1, and never prints a
traceback; a caller that is not our extension gets no connection at all.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from host import EXTENSION_ORIGIN
from host.framing import MAX_FROM_BROWSER, MAX_FROM_DAEMON, MAX_TO_BROWSER
from tests.host.doubles import NATIVE, FakeDaemon, HostProcess

HOST_FUZZ = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class _Scene:
    """A fresh FOXBRIDGE_HOME, a fake daemon on its socket, and a host started with origin."""

    def __init__(self, host_env: dict[str, str], origin: str) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="fbs-", dir="/tmp"))
        self.daemon = FakeDaemon(self.home / "run" / "daemon.sock")
        self.host = HostProcess(origin, {**host_env, "FOXBRIDGE_HOME": str(self.home)})

    def close(self) -> None:
        self.host.stop()
        self.daemon.close()
        shutil.rmtree(self.home, ignore_errors=True)


def _complete_frames(stream: bytes) -> list[bytes]:
    """The bodies of the whole frames at the start of ``stream``, as the browser sent them."""
    bodies = []
    while len(stream) >= 4:
        (length,) = NATIVE.unpack(stream[:4])
        if length > MAX_FROM_BROWSER or len(stream) - 4 < length:
            break
        bodies.append(stream[4 : 4 + length])
        stream = stream[4 + length :]
    return bodies


def _frame(body: bytes) -> bytes:
    return NATIVE.pack(len(body)) + body


BROWSER_STREAMS = st.lists(
    st.one_of(
        st.binary(max_size=40).map(_frame),  # whole frames of junk
        st.binary(max_size=12),  # raw junk: broken headers, announced sizes, cut bodies
        st.integers(0, 2**32 - 1).map(NATIVE.pack),  # a bare header
    ),
    max_size=5,
).map(b"".join)


@HOST_FUZZ
@given(BROWSER_STREAMS)
@example(_frame(b'{"id":"e1"}') + NATIVE.pack(MAX_FROM_BROWSER + 1))  # over 64 MiB
@example(NATIVE.pack(10) + b"{}")  # EOF mid-frame
@example(b"\x01\x00")  # EOF mid-header
def test_random_browser_bytes_end_cleanly_and_relay_only_whole_frames(host_env, stream):
    scene = _Scene(host_env, EXTENSION_ORIGIN)
    try:
        daemon = scene.daemon.accept()
        assert daemon.receive()["method"] == "host.hello"
        scene.host.write(stream)
        scene.host.close_stdin()
        status = scene.host.wait()
        stderr = scene.host.stderr()
        assert "Traceback" not in stderr
        expected = _complete_frames(stream)
        relayed = []
        while (frame := daemon.receive_raw()) is not None:
            relayed.append(frame)
        assert relayed == expected
        whole = sum(4 + len(body) for body in expected) == len(stream)
        assert status == (0 if whole else 1)
        if not whole:
            assert stderr.startswith("foxbridge-host: ")
    finally:
        scene.close()


@HOST_FUZZ
@given(
    st.one_of(
        st.text(max_size=60).filter(lambda s: "\x00" not in s),
        st.sampled_from(
            [
                EXTENSION_ORIGIN + " ",
                " " + EXTENSION_ORIGIN,
                EXTENSION_ORIGIN.upper(),
                EXTENSION_ORIGIN.rstrip("/"),
                EXTENSION_ORIGIN + "x",
                EXTENSION_ORIGIN.replace("chrome-extension", "moz-extension"),
                "chrome-extension://" + "a" * 32 + "/",
                "*",
                "",
            ]
        ),
    ).filter(lambda s: s != EXTENSION_ORIGIN and not s.startswith("-"))
)
def test_a_wrong_origin_gets_no_connection(host_env, origin):
    scene = _Scene(host_env, origin)
    try:
        assert scene.host.wait() == 2
        assert "Traceback" not in scene.host.stderr()
        assert scene.host.receive_raw() is None  # nothing written to the browser
        assert scene.daemon.connections.empty()
    finally:
        scene.close()


@HOST_FUZZ
@given(st.lists(st.binary(max_size=30), min_size=1, max_size=4), st.booleans())
def test_random_daemon_frames_never_crash_the_host(host_env, bodies, cut):
    scene = _Scene(host_env, EXTENSION_ORIGIN)
    try:
        daemon = scene.daemon.accept()
        daemon.receive()
        data = b"".join(len(body).to_bytes(4, "little") + body for body in bodies)
        daemon.send_raw(data[:-1] if cut else data)
        daemon.close()
        assert scene.host.wait() in (0, 1)
        assert "Traceback" not in scene.host.stderr()
    finally:
        scene.close()


def test_a_daemon_frame_over_64_mib_announced_ends_the_host_cleanly(host_env):
    scene = _Scene(host_env, EXTENSION_ORIGIN)
    try:
        daemon = scene.daemon.accept()
        daemon.receive()
        daemon.send_raw((MAX_FROM_DAEMON + 1).to_bytes(4, "little"))
        assert scene.host.wait() == 1
        stderr = scene.host.stderr()
        assert stderr.startswith("foxbridge-host: ") and "Traceback" not in stderr
        assert scene.host.receive_raw() is None  # nothing reached the browser
    finally:
        scene.close()


def test_a_large_daemon_message_that_is_not_json_ends_the_host_cleanly(host_env):
    scene = _Scene(host_env, EXTENSION_ORIGIN)
    try:
        daemon = scene.daemon.accept()
        daemon.receive()
        body = b"\xff" * (MAX_TO_BROWSER + 1)  # too big for one browser message, not JSON
        daemon.send_raw(len(body).to_bytes(4, "little") + body)
        assert scene.host.wait() == 1
        assert "Traceback" not in scene.host.stderr()
        assert scene.host.receive_raw() is None
    finally:
        scene.close()
