"""How fast the host starts (printed, not asserted: timings belong to bench/), and its
version."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from host import EXTENSION_ORIGIN, HOST_VERSION
from tests.host.doubles import REPO, FakeDaemon


def test_host_version_is_the_distribution_version() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["version"] == HOST_VERSION


def test_start_to_first_frame_is_printed(start_host, fake_daemon: FakeDaemon) -> None:
    to_hello: list[float] = []
    to_browser: list[float] = []
    for _ in range(5):
        host = start_host(EXTENSION_ORIGIN)
        daemon = fake_daemon.accept()
        assert daemon.receive()["method"] == "host.hello"
        to_hello.append(time.perf_counter() - host.started)
        daemon.send({"method": "status", "params": {}})
        host.receive()
        to_browser.append(time.perf_counter() - host.started)
        host.close_stdin()
        assert host.wait() == 0
    print(
        f"\nhost start → hello at the daemon: median {statistics.median(to_hello) * 1000:.1f} ms"
        f"\nhost start → first frame at the browser: "
        f"median {statistics.median(to_browser) * 1000:.1f} ms"
    )


def test_import_time_is_printed(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import host.relay"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    # Lines: "import time: self [us] | cumulative | imported package".
    rows = [line.split("|") for line in result.stderr.splitlines() if line.count("|") == 2]
    cumulative = {name.strip(): int(total) for _, total, name in rows[1:]}
    top_level = sum(int(total) for _, total, name in rows[1:] if not name.startswith("  "))
    print(
        f"\nimport host.relay: {cumulative['host.relay'] / 1000:.1f} ms; "
        f"everything imported by the interpreter and the host: {top_level / 1000:.1f} ms"
    )
