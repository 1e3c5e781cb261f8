"""Snapshots before syncs, bounded, private; restore as a local change that syncs."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator

import aiohttp
import pytest

from daemon.bookmarks import snapshots
from daemon.bookmarks.snapshots import SnapshotError, Snapshots
from daemon.paths import default_paths
from daemon.settings import Settings
from tests.bookmarks.sync_support import Account, Device, bm, browser_tree, server_outline


def test_take_list_load_and_prune(tmp_path):
    folder = tmp_path / "snaps"
    store = Snapshots(folder, keep=3)
    taken = [
        store.take(
            "p1",
            browser_tree=[{"n": n}],
            id_map={"4": "g"},
            remote_records=[{"id": "x"}],
            local_count=n,
            reason="before sync",
        )
        for n in range(5)
    ]
    store.take("p2", browser_tree=[], id_map={}, remote_records=[], local_count=0, reason="x")
    listed = store.list("p1")
    assert [info.id for info in listed] == [info.id for info in reversed(taken)][:3]
    assert len(store.list()) == 4
    snapshot = store.load(taken[-1].id)
    assert snapshot.browser_tree == [{"n": 4}] and snapshot.remote_records == [{"id": "x"}]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(SnapshotError):
        store.load(taken[0].id)  # pruned
    with pytest.raises(SnapshotError):
        store.load("../../etc/passwd")


def test_damaged_files_do_not_break_listing(tmp_path):
    folder = tmp_path / "snaps"
    folder.mkdir()
    (folder / "junk.json").write_text("nope")
    assert Snapshots(folder, keep=3).list() == []


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_sync_snapshots_then_restore_undoes_a_remote_wipe(stack, http, foxbridge_home):
    paths = default_paths()
    paths.ensure()
    account = Account(stack, http)
    chrome = Device("chrome", paths.data_dir / "chrome", Settings())
    chrome.snapshots = Snapshots(paths.snapshots_dir, keep=5)
    other = Device("other", paths.data_dir / "other", Settings())
    chrome.write(browser_tree(bar=[bm("A", "https://a/"), bm("B", "https://b/")]))
    first = await account.sync(chrome)
    assert first.snapshot is not None
    assert not (await account.sync(chrome)).snapshot  # nothing changed: no snapshot

    # Another device deletes everything; chrome follows.
    await account.sync(other)
    tree = other.read()
    tree[0]["children"][0]["children"] = []
    other.write(tree)
    await account.sync(other)
    wiped = await account.sync(chrome)
    assert wiped.removed == 2 and wiped.snapshot
    assert chrome.outline()["Bookmarks bar"] == []

    # Restore the snapshot taken before that sync, into the file, then sync it up.
    chrome.store.close()
    endpoint = chrome.endpoint
    changes = await snapshots.restore_into(paths, wiped.snapshot, endpoint)
    assert changes == 2
    chrome = Device("chrome", paths.data_dir / "chrome", Settings())
    await account.sync(chrome)
    assert chrome.outline()["Bookmarks bar"] == [("A", "https://a/"), ("B", "https://b/")]
    assert server_outline(await account.live(), "toolbar") == [
        ("A", "https://a/"),
        ("B", "https://b/"),
    ]
    await account.sync(other)
    assert other.outline()["Bookmarks bar"] == [("A", "https://a/"), ("B", "https://b/")]
    chrome.close()
    other.close()
