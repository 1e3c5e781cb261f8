"""A sync killed after any step: the next sync finishes the job, nothing lost or doubled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from daemon.bookmarks.engine import STEPS
from daemon.settings import Settings
from tests.bookmarks.sync_support import (
    Account,
    Device,
    bm,
    browser_tree,
    check_server_consistent,
    folder,
    server_outline,
)


class Killed(BaseException):
    """Stands for the process dying: not an error the engine handles."""


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def diverged_devices(stack, http, tmp_path: Path) -> tuple[Account, Device, Device]:
    """Two synced devices; then local edits on chrome and a remote edit from firefox."""
    account = Account(stack, http)
    chrome = Device("chrome", tmp_path / "chrome", Settings())
    firefox = Device("firefox", tmp_path / "firefox", Settings())
    chrome.write(
        browser_tree(
            bar=[
                bm("A", "https://a.example/"),
                bm("B", "https://b.example/"),
                folder("F", bm("C", "https://c.example/")),
            ]
        )
    )
    await account.sync(chrome)
    await account.sync(firefox)

    tree = chrome.read()
    bar = tree[0]["children"][0]["children"]
    bar[0]["title"] = "A2"
    del bar[1]  # B
    bar.append({"id": "900", "title": "D", "url": "https://d.example/", "dateAdded": 1})
    chrome.write(tree)

    tree = firefox.read()
    f = next(n for n in tree[0]["children"][0]["children"] if n["title"] == "F")
    f["children"].append({"id": "901", "title": "E", "url": "https://e.example/", "dateAdded": 1})
    firefox.write(tree)
    await account.sync(firefox)
    return account, chrome, firefox


EXPECTED_BAR = [
    ("A2", "https://a.example/"),
    ("F", [("C", "https://c.example/"), ("E", "https://e.example/")]),
    ("D", "https://d.example/"),
]


async def assert_converged(account: Account, chrome: Device, firefox: Device) -> None:
    await account.sync(firefox)
    assert chrome.outline()["Bookmarks bar"] == EXPECTED_BAR
    assert firefox.outline()["Bookmarks bar"] == EXPECTED_BAR
    assert chrome.outline()["Other bookmarks"] == [("Bookmarks Menu", [])]
    records = await account.live()
    check_server_consistent(records)
    assert server_outline(records, "toolbar") == EXPECTED_BAR
    assert server_outline(records, "unfiled") == []
    # And everything is settled: one more round changes nothing anywhere.
    assert not (await account.sync(chrome)).changed
    assert not (await account.sync(firefox)).changed


@pytest.mark.parametrize("step", STEPS)
async def test_killed_after_a_step(stack, http, tmp_path, step):
    account, chrome, firefox = await diverged_devices(stack, http, tmp_path)

    def kill(name: str) -> None:
        if name == step:
            raise Killed(name)

    with pytest.raises(Killed):
        await account.sync(chrome, after_step=kill)
    # A new process: a new store connection and a new Sync session.
    chrome.store.close()
    chrome = Device("chrome", chrome.folder, Settings())
    await account.sync(chrome)
    await assert_converged(account, chrome, firefox)
    chrome.close()
    firefox.close()


async def test_killed_before_created_ids_were_saved(stack, http, tmp_path, monkeypatch):
    """The browser created nodes but their ids never reached the state: the next sync
    matches them by content to the items they were created for."""
    account, chrome, firefox = await diverged_devices(stack, http, tmp_path)
    calls = []
    original = chrome.store.add_ids

    def add_ids(profile: str, entries: dict[str, str]) -> None:
        calls.append(entries)
        if len(calls) == 2:  # the second save: ids of the nodes the browser just created
            raise Killed("after apply, before saving ids")
        original(profile, entries)

    monkeypatch.setattr(chrome.store, "add_ids", add_ids)
    with pytest.raises(Killed):
        await account.sync(chrome)
    assert "E" in str(chrome.outline())  # the browser did create E
    monkeypatch.undo()
    await account.sync(chrome)
    await assert_converged(account, chrome, firefox)
    chrome.close()
    firefox.close()
