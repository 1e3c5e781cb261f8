"""Benchmark ``foxbridge sync --tree-file`` against the local stack.

For each size (10,000 and 100,000 bookmarks by default) it signs a fresh account in,
fills its server with bookmarks in nested folders as Firefox writes them, and runs the
real command as a subprocess three times:

- first sync into an empty profile (the file does not exist yet),
- a no-op sync (nothing changed anywhere),
- a one-change sync (one bookmark renamed in the file).

It prints wall time of the process, the engine's own time, the storage requests the
stack served, and the peak RSS of the sync process. No asserts: these are figures.

    .venv/bin/python bench/bench_sync.py [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from daemon.fxa.credentials import StaticCredentials, SyncKey  # noqa: E402
from daemon.sync.client import OutgoingRecord, SyncClient  # noqa: E402
from fxstack.testing import StackThread  # noqa: E402

PASSWORD = "benchmark password"  # noqa: S105 (a throw-away account on the local stack)
FOLDER_SIZE = 50  # bookmarks per folder
FANOUT = 10  # subfolders per folder


@dataclass
class Run:
    size: int
    case: str
    wall: float
    engine: float
    requests: int
    peak_rss_mb: float
    summary: str


def firefox_records(count: int) -> list[dict[str, Any]]:
    """``count`` bookmarks in nested folders under the three roots Firefox users fill."""
    records: dict[str, dict[str, Any]] = {}
    serial = iter(range(10**9))

    def guid() -> str:
        return f"bench{next(serial):07d}"

    def add_folder(parent: str, title: str) -> str:
        folder_id = guid()
        records[folder_id] = {
            "id": folder_id,
            "type": "folder",
            "parentid": parent,
            "parentName": records[parent]["title"],
            "title": title,
            "children": [],
            "dateAdded": 1_600_000_000_000,
            "hasDupe": True,
        }
        records[parent]["children"].append(folder_id)
        return folder_id

    for root in ("menu", "toolbar", "unfiled", "mobile"):
        records[root] = {
            "id": root,
            "type": "folder",
            "parentid": "places",
            "title": root,
            "children": [],
            "dateAdded": 1_600_000_000_000,
            "hasDupe": True,
        }
    roots = ["menu", "toolbar", "unfiled"]
    made = 0
    level_one: list[str] = []
    while made < count:
        root = roots[len(level_one) % len(roots)]
        top = add_folder(root, f"Folder {len(level_one)}")
        level_one.append(top)
        for sub in range(FANOUT):
            if made >= count:
                break
            inner = add_folder(top, f"Folder {len(level_one)}.{sub}")
            for n in range(FOLDER_SIZE):
                if made >= count:
                    break
                bookmark_id = guid()
                records[bookmark_id] = {
                    "id": bookmark_id,
                    "type": "bookmark",
                    "parentid": inner,
                    "parentName": records[inner]["title"],
                    "title": f"Page {made}",
                    "bmkUri": f"https://example.com/{made}/page?q={n}",
                    "dateAdded": 1_600_000_000_000 + made,
                    "hasDupe": True,
                    **({"tags": ["bench"]} if made % 20 == 0 else {}),
                }
                records[inner]["children"].append(bookmark_id)
                made += 1
    return list(records.values())


async def fill(stack: StackThread, account: Any, token: str, count: int) -> None:
    credentials = StaticCredentials(
        token_server_url=f"{stack.url}/token",
        sync_key=SyncKey(account.ksync, account.kid),
        token=token,
    )
    async with aiohttp.ClientSession() as http:
        client = await SyncClient.connect(credentials, http=http)
        await client.engine_ids("bookmarks", version=2)
        records = firefox_records(count)
        outgoing = [
            OutgoingRecord(r["id"], r, sortindex=1_000_000 if r["type"] == "folder" else 0)
            for r in records
        ]
        await client.upload("bookmarks", outgoing, if_unmodified_since=None)


def foxbridge(
    env: dict[str, str], *args: str, stdin: str = "", profile: Path | None = None
) -> tuple[int, str, str, Any]:
    """Run the CLI; returns (status, stdout, stderr, resource usage of that process).

    With ``profile``, the process runs under cProfile and writes its statistics there."""
    profiler = ["-m", "cProfile", "-o", str(profile)] if profile else []
    process = subprocess.Popen(
        [sys.executable, *profiler, "-m", "daemon", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
        text=True,
    )
    process.stdin.write(stdin)  # type: ignore[union-attr]
    process.stdin.close()  # type: ignore[union-attr]
    stdout = process.stdout.read()  # type: ignore[union-attr]
    stderr = process.stderr.read()  # type: ignore[union-attr]
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, stdout, stderr, usage


def bench_size(
    stack: StackThread, size: int, folder: Path, profiles: Path | None = None
) -> list[Run]:
    email = f"bench{size}@example.com"
    account, token = stack.call(_create(stack, email))
    env = dict(os.environ)
    env.update(
        FOXBRIDGE_HOME=str(folder / "home"),
        PYTHON_KEYRING_BACKEND="tests.keyring.file_backend.SharedFileKeyring",
        FOXBRIDGE_TEST_KEYRING_FILE=str(folder / "keyring.json"),
    )
    status, _out, err, _usage = foxbridge(
        env,
        "login",
        "--email",
        email,
        "--password-stdin",
        "--server",
        stack.url,
        stdin=PASSWORD + "\n",
    )
    if status != 0:
        raise SystemExit(f"login failed: {err}")
    started = time.perf_counter()
    asyncio.run(fill(stack, account, token, size))
    print(
        f"  filled the server with {size} bookmarks in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )

    tree_file = folder / "profile.json"
    runs = []
    for case in ("first sync", "no-op sync", "one-change sync"):
        if case == "one-change sync":
            data = json.loads(tree_file.read_text())
            node = data[0]["children"][1]["children"]
            while "url" not in node[-1]:
                node = node[-1]["children"]
            node[-1]["title"] += " (renamed)"
            tree_file.write_text(json.dumps(data))
        before = stack.stack.sync.request_count()
        started = time.perf_counter()
        profile = profiles / f"{size}-{case.replace(' ', '-')}.prof" if profiles else None
        status, out, err, usage = foxbridge(
            env, "sync", "--tree-file", str(tree_file), "--json", profile=profile
        )
        wall = time.perf_counter() - started
        if status != 0:
            raise SystemExit(f"{case} failed: {err}")
        report = json.loads(out)
        runs.append(
            Run(
                size,
                case,
                wall,
                report["seconds"],
                stack.stack.sync.request_count() - before,
                usage.ru_maxrss / 1024,
                report["summary"],
            )
        )
    return runs


async def _create(stack: StackThread, email: str) -> tuple[Any, str]:
    """A verified account and an OAuth token for filling its server (on the stack's loop)."""
    fxa = stack.stack.fxa
    account = fxa.create_account(email, PASSWORD, verification="none")
    return account, fxa.issue_access_token(account.uid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--profile", type=Path, help="run each sync under cProfile, writing statistics here"
    )
    args = parser.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    runs: list[Run] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        StackThread(storage_db=Path(tmp) / "storage.sqlite") as stack,
    ):
        for size in args.sizes:
            print(f"{size} bookmarks…", file=sys.stderr)
            folder = Path(tmp) / str(size)
            folder.mkdir()
            runs.extend(bench_size(stack, size, folder, args.profile))
    print(
        f"{'bookmarks':>9}  {'case':<16}{'wall s':>8}{'engine s':>10}{'requests':>10}"
        f"{'peak RSS MB':>13}"
    )
    for run in runs:
        print(
            f"{run.size:>9}  {run.case:<16}{run.wall:>8.2f}{run.engine:>10.3f}"
            f"{run.requests:>10}{run.peak_rss_mb:>13.0f}"
        )


if __name__ == "__main__":
    main()
