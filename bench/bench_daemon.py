"""Benchmark the daemon itself: memory after a large first sync, and a no-op sync.

Starts the local stack in a thread and the real daemon (``foxbridge daemon
--foreground``) as a process, fills the account's server with bookmarks as Firefox
writes them, connects a scripted extension with an empty Chrome tree, signs in over
IPC and waits for the first sync. It prints, per size:

- the first sync's time (from sign-in to the end of the sync);
- the daemon's resident set size after that sync and its peak (``VmRSS``/``VmHWM``);
- a no-op ``sync.now`` (nothing changed anywhere): its time and storage requests.

    .venv/bin/python bench/bench_daemon.py [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_sync import fill  # noqa: E402
from fxstack.testing import StackThread  # noqa: E402
from tests.service.fake_extension import FakeExtension  # noqa: E402
from tests.service.test_daemon_process import EMAIL, PASSWORD, DaemonProcess, sign_in  # noqa: E402


def memory_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident set size of a process, in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


async def bench_size(stack: StackThread, size: int) -> str:
    home = Path(tempfile.mkdtemp(prefix="fbb-", dir="/tmp"))  # short: a socket lives here
    try:

        async def create():  # on the stack's loop
            fxa = stack.stack.fxa
            account = fxa.create_account(EMAIL, PASSWORD, verification="email-otp")
            return account, fxa.issue_access_token(account.uid)

        account, token = stack.call(create())
        await fill(stack, account, token, size)
        daemon = DaemonProcess(home, home / "keyring.json")
        try:
            extension = await FakeExtension("bench").connect(daemon.paths.socket_path)
            started = time.perf_counter()
            await sign_in(extension, stack)
            await extension.wait_synced(within=600)
            first = time.perf_counter() - started
            assert len(extension.tree.nodes) > size, "the first sync did not complete"
            rss, peak = memory_mb(daemon.process.pid)

            mark = len(extension.statuses)
            before = stack.stack.sync.request_count()
            started = time.perf_counter()
            await extension.request("sync.now", {})
            await extension.wait_synced(after=mark)
            noop = time.perf_counter() - started
            requests = stack.stack.sync.request_count() - before
            await extension.close()
        finally:
            daemon.stop()
        return (
            f"{size:>9}  {first:>9.2f}  {rss:>8.0f}  {peak:>8.0f}"
            f"  {noop * 1000:>8.0f}  {requests:>8}"
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    lines = []
    for size in args.sizes:
        with (
            tempfile.TemporaryDirectory() as tmp,
            StackThread(storage_db=Path(tmp) / "storage.sqlite") as stack,
        ):
            lines.append(asyncio.run(bench_size(stack, size)))
    print(
        f"{'bookmarks':>9}  {'first s':>9}  {'RSS MB':>8}  {'peak MB':>8}"
        f"  {'no-op ms':>8}  {'requests':>8}"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
