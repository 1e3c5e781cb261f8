"""Browser benchmarks: the native host's start, and syncing in real headless Chromium.

Run from the repository root:  .venv/bin/python bench/bench_browser.py [--bookmarks N]

Prints, each as a median over a few runs where it is cheap to repeat:

- host start: from spawning the host to its ``host.hello`` at a (fake) daemon, and
  ``python -X importtime`` for the host's modules;
- floor: the time Chromium takes to create the benchmark tree (100 folders of
  bookmarks) through ``chrome.bookmarks`` with nothing else involved (a probe extension);
- first sync: the server already holds the same tree; an empty Chromium profile with
  the real extension, host and daemon connects; time until every bookmark is in
  ``chrome.bookmarks``;
- change latency: a bookmark created in the browser, until its record is on the server.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the script lives in bench/; the packages at the root

from playwright.sync_api import Playwright, sync_playwright  # noqa: E402

from host import EXTENSION_ORIGIN  # noqa: E402
from tests.e2e.browser import (  # noqa: E402
    EXTENSION_DIR,
    BrowserProfile,
    launch_profile,
    wait_until,
    write_host_wrapper,
)

FOLDERS = 100

# Create the folders one after another, each folder's bookmarks in one burst.
CREATE_TREE_JS = """async ([parentId, folders]) => {
    const started = performance.now();
    for (const folder of folders) {
        const created = await chrome.bookmarks.create({ parentId, title: folder.title });
        await Promise.all(folder.children.map(child =>
            chrome.bookmarks.create({ parentId: created.id, title: child.title, url: child.url })));
    }
    return performance.now() - started;
}"""

COUNT_BOOKMARKS_JS = """() => chrome.bookmarks.getTree().then(([root]) => {
    let count = 0;
    const walk = node => { if (node.url) count++; (node.children || []).forEach(walk); };
    walk(root);
    return count;
})"""


def benchmark_tree(bookmarks: int) -> list[dict]:
    per_folder = bookmarks // FOLDERS
    return [
        {
            "title": f"Folder {f:03d}",
            "children": [
                {"title": f"Bookmark {f:03d}-{b:03d}", "url": f"https://site{f}.example/page/{b}"}
                for b in range(per_folder)
            ],
        }
        for f in range(FOLDERS)
    ]


@contextmanager
def short_home(prefix: str) -> Iterator[Path]:
    home = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def report(name: str, value: str) -> None:
    print(f"{name:<52} {value}", flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# -- the host ---------------------------------------------------------------------------


def bench_host_start(runs: int = 20) -> None:
    import os

    from tests.host.doubles import FakeDaemon, HostProcess

    with short_home("fbb-") as home:
        daemon = FakeDaemon(home / "run" / "daemon.sock")
        env = {**os.environ, "FOXBRIDGE_HOME": str(home)}
        times = []
        for _ in range(runs):
            host = HostProcess(EXTENSION_ORIGIN, env)
            connection = daemon.accept()
            connection.receive()
            times.append(time.perf_counter() - host.started)
            host.close_stdin()
            host.wait()
            host.stop()
        daemon.close()
    baseline = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        baseline.append(time.perf_counter() - started)
    report("the interpreter alone: python -c pass (median)", ms(statistics.median(baseline)))
    report("host start → hello at the daemon (median)", ms(statistics.median(times)))
    report("host start → hello (90th percentile)", ms(statistics.quantiles(times, n=10)[-1]))
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import host.relay"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    own = [line for line in result.stderr.splitlines() if line.rstrip().endswith("host.relay")]
    report("import host.relay (cumulative)", f"{int(own[-1].split('|')[1]) / 1000:.1f} ms")


# -- the floor ------------------------------------------------------------------------------


def probe_extension(folder: Path) -> Path:
    real = json.loads((REPO / "extension" / "manifest.json").read_text())
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(
        json.dumps(
            {
                "manifest_version": 3,
                "name": "probe",
                "version": "0.0.1",
                "key": real["key"],
                "permissions": ["bookmarks"],
                "background": {"service_worker": "background.js"},
            }
        )
    )
    (folder / "background.js").write_text("")
    return folder


def bench_floor(playwright: Playwright, tree: list[dict], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        with short_home("fbb-") as home:
            wrapper = write_host_wrapper(home / "bin", home, {})
            profile = launch_profile(
                playwright,
                home / "profile",
                wrapper,
                extension_dir=probe_extension(home / "probe"),
                origin=EXTENSION_ORIGIN,
            )
            try:
                times.append(profile.evaluate(CREATE_TREE_JS, ["2", tree]) / 1000)
            finally:
                profile.close()
    floor = statistics.median(times)
    count = sum(len(f["children"]) for f in tree)
    report(f"floor: create {count} bookmarks via chrome.bookmarks", ms(floor))
    return floor


# -- end to end -------------------------------------------------------------------------------


def bench_first_sync(playwright: Playwright, tree: list[dict], floor: float) -> None:
    from fxstack.testing import StackThread
    from tests.e2e.daemon import DaemonClient, DaemonProcess
    from tests.e2e.remote import RemoteBookmarks

    count = sum(len(f["children"]) for f in tree)
    email, password = "bench@example.com", "bench password, long enough"
    with short_home("fbb-") as home, StackThread(storage_db=home / "storage.sqlite") as stack:
        stack.stack.fxa.create_account(email, password, verification="none")
        remote = RemoteBookmarks(stack, email)
        remote.set_up()
        remote.insert_tree("unfiled", tree)
        daemon = DaemonProcess(home / "foxbridge")
        try:
            with DaemonClient(home / "foxbridge") as client:
                state = client.request(
                    "login.password", {"email": email, "password": password, "server": stack.url}
                )
                assert state == {"state": "signed-in"}, state
            wrapper = write_host_wrapper(home / "bin", home / "foxbridge", {})
            started = time.perf_counter()
            profile = launch_profile(
                playwright,
                home / "profile",
                wrapper,
                extension_dir=EXTENSION_DIR,
                origin=EXTENSION_ORIGIN,
            )
            try:
                connected = time.perf_counter()
                wait_until(
                    lambda: profile.evaluate(COUNT_BOOKMARKS_JS) >= count,
                    f"{count} bookmarks in the browser",
                    timeout=600,
                    interval=0.2,
                )
                done = time.perf_counter()
                report(f"first sync of {count} bookmarks (from launch)", ms(done - started))
                report("first sync (from the service worker's start)", ms(done - connected))
                report("  ÷ floor", f"{(done - connected) / floor:.1f}×")
                bench_change_latency(profile, remote)
            finally:
                profile.close()
        finally:
            daemon.stop()


def record_arrived(remote, url: str, since: int) -> bool:
    return any(r.get("bmkUri") == url for r in remote.records(newer=since).values())


def bench_change_latency(profile: BrowserProfile, remote, runs: int = 5) -> None:
    times = []
    for run in range(runs):
        since = remote.modified()
        url = f"https://latency.example/{run}/{time.time()}"
        started = time.perf_counter()
        profile.create(parentId="1", title=f"latency {run}", url=url)
        wait_until(
            partial(record_arrived, remote, url, since),
            "the new bookmark's record on the server",
            timeout=120,
            interval=0.02,
        )
        times.append(time.perf_counter() - started)
    report("change in the browser → record on the server", ms(statistics.median(times)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookmarks", type=int, default=10_000)
    parser.add_argument("--only", choices=["host", "floor", "sync"], action="append")
    args = parser.parse_args()
    wanted = set(args.only or ["host", "floor", "sync"])
    tree = benchmark_tree(args.bookmarks)
    if "host" in wanted:
        bench_host_start()
    with sync_playwright() as playwright:
        floor = bench_floor(playwright, tree) if wanted & {"floor", "sync"} else 0.0
        if "sync" in wanted:
            bench_first_sync(playwright, tree, floor)
    return 0


if __name__ == "__main__":
    sys.exit(main())
