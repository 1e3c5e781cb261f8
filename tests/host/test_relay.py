"""The real host process between a stand-in browser (its stdio) and a fake daemon."""

from __future__ import annotations

import json
import time
from pathlib import Path

from host import EXTENSION_ORIGIN, HOST_VERSION
from host.framing import MAX_FROM_BROWSER, MAX_TO_BROWSER
from tests.host.doubles import NATIVE, FakeDaemon

OTHER_ORIGIN = "chrome-extension://abcdefghijklmnopabcdefghijklmnop/"


def reassemble(host) -> dict:
    first = host.receive()
    chunks = [first["chunk"]]
    while len(chunks) < first["chunk"]["count"]:
        chunks.append(host.receive()["chunk"])
    return json.loads("".join(chunk["data"] for chunk in chunks))


def test_the_host_says_hello_then_relays_both_ways(start_host, fake_daemon: FakeDaemon) -> None:
    host = start_host(EXTENSION_ORIGIN)
    daemon = fake_daemon.accept()
    assert daemon.receive() == {
        "method": "host.hello",
        "params": {"origin": EXTENSION_ORIGIN, "host_version": HOST_VERSION},
    }
    host.send({"id": "e1", "method": "status", "params": {"text": "ünïcode ✓"}})
    assert daemon.receive() == {"id": "e1", "method": "status", "params": {"text": "ünïcode ✓"}}
    daemon.send({"id": "e1", "result": {"state": "idle"}})
    daemon.send({"id": "d1", "method": "tree.get", "params": {}})
    assert host.receive() == {"id": "e1", "result": {"state": "idle"}}
    assert host.receive() == {"id": "d1", "method": "tree.get", "params": {}}


def test_bytes_pass_through_unchanged(start_host, fake_daemon: FakeDaemon) -> None:
    host = start_host(EXTENSION_ORIGIN)
    daemon = fake_daemon.accept()
    daemon.receive()
    body = b'{"id":"e2",  "method":"x"  ,"params":{}}'  # odd spacing kept: no re-encoding
    host.send_raw_body(body)
    assert daemon.receive_raw() == body


def test_a_three_mib_daemon_message_reaches_the_browser_in_chunks(
    start_host, fake_daemon: FakeDaemon
) -> None:
    host = start_host(EXTENSION_ORIGIN)
    daemon = fake_daemon.accept()
    daemon.receive()
    ops = [
        {"op": "create", "ref": f"guid{i:08d}", "parent": "1", "index": i, "title": f"«{i}»"}
        for i in range(40_000)
    ]
    message = {"id": "d5", "method": "tree.apply", "params": {"ops": ops}}
    assert len(json.dumps(message)) > 3 * 1024 * 1024
    daemon.send(message)
    assert reassemble(host) == message
    # The connection goes on after a chunked message.
    daemon.send({"method": "status", "params": {}})
    assert host.receive() == {"method": "status", "params": {}}


def test_a_message_of_exactly_one_mib_is_not_chunked(start_host, fake_daemon: FakeDaemon) -> None:
    host = start_host(EXTENSION_ORIGIN)
    daemon = fake_daemon.accept()
    daemon.receive()
    body = b'{"id":"d2","result":"' + b"x" * (MAX_TO_BROWSER - 23) + b'"}'
    assert len(body) == MAX_TO_BROWSER
    daemon.send_raw(len(body).to_bytes(4, "little") + body)
    assert host.receive_raw() == body


def test_a_browser_frame_over_64_mib_is_refused(start_host, fake_daemon: FakeDaemon) -> None:
    host = start_host(EXTENSION_ORIGIN)
    daemon = fake_daemon.accept()
    daemon.receive()
    host.write(NATIVE.pack(MAX_FROM_BROWSER + 1))
    assert host.wait() == 1
    assert "the limit is 67108864 bytes" in host.stderr()
    assert daemon.receive_raw() is None  # the host hung up without relaying anything


def test_the_host_exits_at_once_when_the_browser_closes_stdin(
    start_host, fake_daemon: FakeDaemon
) -> None:
    host = start_host(EXTENSION_ORIGIN)
    daemon = fake_daemon.accept()
    daemon.receive()
    closed = time.perf_counter()
    host.close_stdin()
    assert host.wait() == 0
    print(f"\nhost exit after stdin EOF: {(time.perf_counter() - closed) * 1000:.1f} ms")
    assert daemon.receive_raw() is None


def test_the_host_exits_when_the_daemon_closes_the_socket(
    start_host, fake_daemon: FakeDaemon
) -> None:
    host = start_host(EXTENSION_ORIGIN)
    daemon = fake_daemon.accept()
    daemon.receive()
    daemon.close()
    assert host.wait() == 0
    assert host.receive_raw() is None


def test_a_daemon_frame_cut_short_ends_the_connection(start_host, fake_daemon: FakeDaemon) -> None:
    host = start_host(EXTENSION_ORIGIN)
    daemon = fake_daemon.accept()
    daemon.receive()
    daemon.send_raw((100).to_bytes(4, "little") + b"{}")
    daemon.close()
    assert host.wait() == 1
    assert "daemon closed the connection in the middle of a message" in host.stderr()


def test_an_unknown_origin_gets_no_connection(start_host, fake_daemon: FakeDaemon) -> None:
    host = start_host(OTHER_ORIGIN)
    assert host.wait() == 2
    assert f"refusing the caller {OTHER_ORIGIN!r}" in host.stderr()
    assert host.receive_raw() is None
    assert fake_daemon.connections.empty()


def test_no_origin_at_all_is_refused(host_env, fake_daemon: FakeDaemon) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "host"],
        env=host_env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        timeout=10,
    )
    assert result.returncode == 2
    assert b"origin as its first argument" in result.stderr
    assert fake_daemon.connections.empty()


def test_an_origin_listed_in_the_config_file_is_served(
    start_host, fake_daemon: FakeDaemon, short_home: Path
) -> None:
    (short_home / "config").mkdir()
    (short_home / "config" / "allowed_origins.json").write_text(
        json.dumps({"allowed_origins": [OTHER_ORIGIN]})
    )
    start_host(OTHER_ORIGIN)
    hello = fake_daemon.accept().receive()
    assert hello["params"]["origin"] == OTHER_ORIGIN


def test_a_broken_origins_file_serves_only_the_builtin_origin(
    start_host, fake_daemon: FakeDaemon, short_home: Path
) -> None:
    (short_home / "config").mkdir()
    (short_home / "config" / "allowed_origins.json").write_text(
        json.dumps({"allowed_origins": [OTHER_ORIGIN, "chrome-extension://*/"]})
    )
    refused = start_host(OTHER_ORIGIN)
    assert refused.wait() == 2
    assert "is not an origin of the form" in refused.stderr()
    start_host(EXTENSION_ORIGIN)
    assert fake_daemon.accept().receive()["method"] == "host.hello"
