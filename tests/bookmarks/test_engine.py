"""The sync engine against the real local stack: file profiles, real HTTP, real crypto."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from daemon.bookmarks.brake import SafetyBrakeError
from daemon.settings import MenuPlacement, Settings
from tests.bookmarks.sync_support import (
    Account,
    Device,
    bm,
    browser_tree,
    check_server_consistent,
    folder,
    server_outline,
)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def account(stack, http) -> Account:
    return Account(stack, http)


@pytest.fixture
def devices(tmp_path: Path):
    made: list[Device] = []

    def make(name: str, **settings) -> Device:
        device = Device(name, tmp_path / name, Settings(**settings))
        made.append(device)
        return device

    yield make
    for device in made:
        device.close()


async def test_first_sync_uploads_the_browser_tree(account, devices):
    chrome = devices("chrome")
    chrome.write(
        browser_tree(
            bar=[
                bm("Mozilla", "https://www.mozilla.org/"),
                folder("News", bm("LWN", "https://lwn.net/")),
            ],
            other=[bm("Python", "https://python.org/")],
        )
    )
    report = await account.sync(chrome)
    assert report.first_sync and report.changed
    records = await account.live()
    check_server_consistent(records)
    assert server_outline(records, "toolbar") == [
        ("Mozilla", "https://www.mozilla.org/"),
        ("News", [("LWN", "https://lwn.net/")]),
    ]
    assert server_outline(records, "unfiled") == [("Python", "https://python.org/")]
    # Every record as Firefox writes it.
    mozilla = next(r for r in records.values() if r.get("title") == "Mozilla")
    assert mozilla["parentid"] == "toolbar" and mozilla["hasDupe"] is True
    assert mozilla["parentName"] == "Bookmarks Toolbar"


async def test_first_sync_downloads_into_an_empty_profile(account, devices):
    firefox = devices("firefox")
    firefox.write(
        browser_tree(
            bar=[bm("A", "https://a.example/")], other=[folder("F", bm("B", "https://b.example/"))]
        )
    )
    await account.sync(firefox)

    chrome = devices("chrome")  # no file yet: an empty profile
    report = await account.sync(chrome)
    assert report.created == 4 and report.uploaded == 0  # A, F, B and the menu folder
    assert chrome.outline()["Bookmarks bar"] == [("A", "https://a.example/")]
    other = chrome.outline()["Other bookmarks"]
    assert ("F", [("B", "https://b.example/")]) in other
    assert ("Bookmarks Menu", []) in other  # Firefox's menu, shown as a folder


async def test_identical_first_syncs_never_duplicate(account, devices):
    tree = browser_tree(
        bar=[bm("A", "https://a.example/"), folder("F", bm("B", "https://b.example/"))],
        other=[bm("C", "https://c.example/")],
    )
    for name in ("one", "two", "three"):
        device = devices(name)
        device.write(tree)
        await account.sync(device)
    records = await account.live()
    check_server_consistent(records)
    assert server_outline(records, "toolbar") == [
        ("A", "https://a.example/"),
        ("F", [("B", "https://b.example/")]),
    ]
    assert server_outline(records, "unfiled") == [("C", "https://c.example/")]


async def test_noop_sync_is_cheap(account, devices):
    chrome = devices("chrome")
    chrome.write(browser_tree(bar=[bm(f"B{i}", f"https://b{i}.example/") for i in range(50)]))
    await account.sync(chrome)
    before = chrome.endpoint.path.stat().st_mtime_ns
    report = await account.sync(chrome)
    assert not report.changed
    assert report.requests <= 2
    assert chrome.endpoint.path.stat().st_mtime_ns == before


async def test_an_unchanged_browser_and_server_cost_one_request(account, devices):
    chrome = devices("chrome")
    chrome.write(browser_tree(bar=[bm(f"B{i}", f"https://b{i}.example/") for i in range(50)]))
    await account.sync(chrome)

    async def no_reading() -> list:
        raise AssertionError("the tree was read although the browser had not changed")

    chrome.endpoint.read_tree = no_reading  # type: ignore[method-assign]
    report = await account.sync(chrome, browser_unchanged=True)
    assert not report.changed and report.requests == 1
    assert chrome.store.load(chrome.endpoint.profile_id).last_sync["summary"] == "Up to date."


async def test_an_unchanged_browser_still_gets_remote_changes(account, devices):
    chrome, firefox = devices("chrome"), devices("firefox")
    chrome.write(browser_tree(bar=[bm("A", "https://a.example/")]))
    await account.sync(chrome)
    await account.sync(firefox)
    tree = firefox.read()
    tree[0]["children"][0]["children"].append(
        {"id": "900", "title": "New", "url": "https://new.example/", "dateAdded": 1}
    )
    firefox.write(tree)
    await account.sync(firefox)

    report = await account.sync(chrome, browser_unchanged=True)
    assert report.created == 1
    assert chrome.outline()["Bookmarks bar"] == [
        ("A", "https://a.example/"),
        ("New", "https://new.example/"),
    ]


async def test_changes_flow_both_ways(account, devices):
    chrome, firefox = devices("chrome"), devices("firefox")
    chrome.write(
        browser_tree(
            bar=[bm("A", "https://a.example/"), bm("B", "https://b.example/")],
            other=[folder("F", bm("C", "https://c.example/"))],
        )
    )
    await account.sync(chrome)
    await account.sync(firefox)
    assert firefox.outline()["Bookmarks bar"] == chrome.outline()["Bookmarks bar"]

    # firefox: rename A, move C to the bar, delete B
    tree = firefox.read()
    bar = tree[0]["children"][0]["children"]
    bar[0]["title"] = "A renamed"
    del bar[1]
    other = tree[0]["children"][1]["children"]
    f = next(n for n in other if n["title"] == "F")
    bar.append(f["children"].pop())
    firefox.write(tree)
    report = await account.sync(firefox)
    assert report.uploaded >= 3 and report.tombstones == 1

    report = await account.sync(chrome)
    assert chrome.outline()["Bookmarks bar"] == [
        ("A renamed", "https://a.example/"),
        ("C", "https://c.example/"),
    ]
    assert ("F", []) in chrome.outline()["Other bookmarks"]
    assert report.removed == 1 and report.updated == 1 and report.moved == 1
    check_server_consistent(await account.live())


async def test_hidden_items_survive(account, devices):
    """Separators, queries, tags and the menu are kept although Chrome cannot show them."""
    chrome = devices("chrome", menu_placement=MenuPlacement.HIDDEN)
    await account.put(
        {
            "id": "menu",
            "type": "folder",
            "parentid": "places",
            "title": "menu",
            "children": ["menuBmk00001"],
        },
        {
            "id": "menuBmk00001",
            "type": "bookmark",
            "parentid": "menu",
            "title": "In menu",
            "bmkUri": "https://menu.example/",
        },
        {
            "id": "toolbar",
            "type": "folder",
            "parentid": "places",
            "title": "toolbar",
            "children": ["tagged000001", "separator001", "query0000001"],
        },
        {
            "id": "tagged000001",
            "type": "bookmark",
            "parentid": "toolbar",
            "title": "Tagged",
            "bmkUri": "https://t.example/",
            "tags": ["x", "y"],
            "keyword": "kw",
        },
        {"id": "separator001", "type": "separator", "parentid": "toolbar", "pos": 1},
        {
            "id": "query0000001",
            "type": "query",
            "parentid": "toolbar",
            "title": "Recent",
            "bmkUri": "place:sort=8&maxResults=10",
        },
    )
    await account.sync(chrome)
    assert chrome.outline()["Bookmarks bar"] == [("Tagged", "https://t.example/")]
    assert chrome.outline()["Other bookmarks"] == []  # the menu is hidden

    # Rename the tagged bookmark and add one in Chrome; sync.
    tree = chrome.read()
    bar = tree[0]["children"][0]["children"]
    bar[0]["title"] = "Tagged, renamed"
    bar.append(
        {
            "id": "999",
            "parentId": "1",
            "index": 1,
            "title": "New",
            "url": "https://new.example/",
            "dateAdded": 1,
        }
    )
    chrome.write(tree)
    await account.sync(chrome)

    records = await account.live()
    check_server_consistent(records)
    tagged = records["tagged000001"]
    assert tagged["title"] == "Tagged, renamed"
    assert tagged["tags"] == ["x", "y"] and tagged["keyword"] == "kw"
    assert records["toolbar"]["children"][:3] == ["tagged000001", "separator001", "query0000001"]
    assert len(records["toolbar"]["children"]) == 4
    assert records["menu"]["children"] == ["menuBmk00001"]
    assert "separator001" in records and "query0000001" in records


async def test_menu_folder_maps_to_the_menu_root(account, devices):
    firefox = devices("firefox")
    await account.put(
        {
            "id": "menu",
            "type": "folder",
            "parentid": "places",
            "title": "menu",
            "children": ["menuBmk00001"],
        },
        {
            "id": "menuBmk00001",
            "type": "bookmark",
            "parentid": "menu",
            "title": "In menu",
            "bmkUri": "https://menu.example/",
        },
    )
    chrome = devices("chrome")
    await account.sync(chrome)
    other = chrome.outline()["Other bookmarks"]
    assert other == [("Bookmarks Menu", [("In menu", "https://menu.example/")])]

    # A bookmark added to the menu folder in Chrome goes to the menu root, not unfiled.
    tree = chrome.read()
    menu_folder = tree[0]["children"][1]["children"][0]
    menu_folder["children"].append(
        {
            "id": "500",
            "parentId": menu_folder["id"],
            "index": 1,
            "title": "Added",
            "url": "https://added.example/",
            "dateAdded": 1,
        }
    )
    chrome.write(tree)
    await account.sync(chrome)
    records = await account.live()
    check_server_consistent(records)
    assert server_outline(records, "menu") == [
        ("In menu", "https://menu.example/"),
        ("Added", "https://added.example/"),
    ]
    assert server_outline(records, "unfiled") == []
    del firefox


async def test_brake_stops_mass_deletion_and_force_applies(account, devices):
    chrome, other = devices("chrome"), devices("other")
    chrome.write(browser_tree(bar=[bm(f"B{i}", f"https://b{i}.example/") for i in range(20)]))
    await account.sync(chrome)
    await account.sync(other)

    tree = other.read()
    tree[0]["children"][0]["children"] = tree[0]["children"][0]["children"][:5]  # delete 15
    other.write(tree)
    server_before = await account.records()
    with pytest.raises(SafetyBrakeError) as stopped:
        await account.sync(other)
    preview = stopped.value.preview
    assert preview.remote_deletions == 15 and preview.remote_total == 20
    assert preview.titles[:1] == ["B5"]
    assert await account.records() == server_before  # nothing touched

    report = await account.sync(other, force=True)
    assert report.tombstones == 15
    with pytest.raises(SafetyBrakeError):  # and chrome would lose 15 of 20
        await account.sync(chrome)
    await account.sync(chrome, force=True)
    assert len(chrome.outline()["Bookmarks bar"]) == 5


async def test_dry_run_changes_nothing(account, devices):
    chrome = devices("chrome")
    chrome.write(browser_tree(bar=[bm("A", "https://a.example/")]))
    report = await account.sync(chrome, dry_run=True)
    assert report.changed and report.dry_run
    assert report.records and any(op for op in report.records if not op["deleted"])
    assert await (await account.client()).info_collections() == {}  # not even meta/global
    assert chrome.store.load(chrome.endpoint.profile_id).last_modified is None

    await account.sync(chrome)
    firefox = devices("firefox")
    await account.put(
        {
            "id": "toolbar",
            "type": "folder",
            "parentid": "places",
            "title": "toolbar",
            "children": [*(await account.live())["toolbar"]["children"], "newOne000001"],
        },
        {
            "id": "newOne000001",
            "type": "bookmark",
            "parentid": "toolbar",
            "title": "N",
            "bmkUri": "https://n.example/",
        },
    )
    before = chrome.read()
    report = await account.sync(chrome, dry_run=True)
    assert [op["op"] for op in report.ops] == ["create"]
    assert chrome.read() == before
    report = await account.sync(chrome)
    assert report.created == 1
    del firefox


async def test_foreign_write_during_upload_is_merged(account, devices):
    """A 412 on upload: download the foreign write, merge again, upload the union."""
    chrome = devices("chrome")
    chrome.write(browser_tree(bar=[bm("A", "https://a.example/")]))
    await account.sync(chrome)
    tree = chrome.read()
    tree[0]["children"][0]["children"].append(
        {
            "id": "77",
            "parentId": "1",
            "index": 1,
            "title": "Mine",
            "url": "https://mine.example/",
            "dateAdded": 1,
        }
    )
    chrome.write(tree)
    live = await account.live()

    async def another_client_writes(step: str) -> None:
        if step == "apply" and "theirs000001" not in await account.live():
            toolbar = {
                **live["toolbar"],
                "children": [*live["toolbar"]["children"], "theirs000001"],
            }
            theirs = {
                "id": "theirs000001",
                "type": "bookmark",
                "parentid": "toolbar",
                "title": "Theirs",
                "bmkUri": "https://theirs.example/",
            }
            await account.put(toolbar, theirs)

    report = await account.sync(chrome, after_step=another_client_writes)
    assert report.attempts == 2
    records = await account.live()
    check_server_consistent(records)
    assert sorted(t for t, _ in server_outline(records, "toolbar")) == ["A", "Mine", "Theirs"]
    assert sorted(t for t, _ in chrome.outline()["Bookmarks bar"]) == ["A", "Mine", "Theirs"]
    assert not (await account.sync(chrome)).changed


async def test_hiding_the_menu_removes_its_folder_but_deletes_nothing(account, devices):
    chrome = devices("chrome")
    await account.put(
        {
            "id": "menu",
            "type": "folder",
            "parentid": "places",
            "title": "menu",
            "children": [f"menuBmk{n:05d}" for n in range(60)],
        },
        *(
            {
                "id": f"menuBmk{n:05d}",
                "type": "bookmark",
                "parentid": "menu",
                "title": f"M{n}",
                "bmkUri": f"https://m{n}.example/",
            }
            for n in range(60)
        ),
    )
    await account.sync(chrome)
    assert len(chrome.outline()["Other bookmarks"][0][1]) == 60
    before = await account.records()

    chrome.settings.menu_placement = MenuPlacement.HIDDEN
    report = await account.sync(chrome)  # no brake: nothing is deleted
    assert report.removed == 61 and report.uploaded == 0
    assert chrome.outline()["Other bookmarks"] == []
    assert await account.records() == before

    chrome.settings.menu_placement = MenuPlacement.TOOLBAR
    await account.sync(chrome)
    assert chrome.outline()["Bookmarks bar"][0][0] == "Bookmarks Menu"
    assert len(chrome.outline()["Bookmarks bar"][0][1]) == 60
    assert await account.records() == before


async def test_a_wiped_collection_is_filled_again_from_the_browser(account, devices):
    chrome = devices("chrome")
    chrome.write(browser_tree(bar=[bm("A", "https://a.example/"), bm("B", "https://b.example/")]))
    await account.sync(chrome)
    client = await account.client()
    await client.storage.delete_collection("bookmarks")
    assert await account.live() == {}

    report = await account.sync(chrome)
    assert report.first_sync  # the state was forgotten, and the sync merged
    assert chrome.outline()["Bookmarks bar"] == [
        ("A", "https://a.example/"),
        ("B", "https://b.example/"),
    ]
    assert server_outline(await account.live(), "toolbar") == chrome.outline()["Bookmarks bar"]


async def test_changed_sync_ids_merge_without_duplicates(account, devices):
    """Another client reset the bookmarks engine (new syncID) and uploaded the same tree
    under new GUIDs: the next sync starts afresh and matches everything by content."""
    from daemon.sync.meta import MetaGlobal

    chrome = devices("chrome")
    chrome.write(
        browser_tree(
            bar=[bm("A", "https://a.example/"), folder("F", bm("B", "https://b.example/"))]
        )
    )
    await account.sync(chrome)

    client = await account.client()
    bso = await client.storage.get_record("meta", "global")
    meta = MetaGlobal.from_payload(bso.payload).with_engine("bookmarks", 2)  # a fresh syncID
    await client.storage.put_record(
        "meta", {"id": "global", "payload": meta.to_payload()}, if_unmodified_since=bso.modified
    )
    await client.storage.delete_collection("bookmarks")
    await account.put(
        {
            "id": "toolbar",
            "type": "folder",
            "parentid": "places",
            "title": "toolbar",
            "children": ["otherA000001", "otherF000001"],
        },
        {
            "id": "otherA000001",
            "type": "bookmark",
            "parentid": "toolbar",
            "title": "A",
            "bmkUri": "https://a.example/",
        },
        {
            "id": "otherF000001",
            "type": "folder",
            "parentid": "toolbar",
            "title": "F",
            "children": ["otherB000001"],
        },
        {
            "id": "otherB000001",
            "type": "bookmark",
            "parentid": "otherF000001",
            "title": "B",
            "bmkUri": "https://b.example/",
        },
    )
    report = await account.sync(chrome)
    assert report.first_sync
    expected = [("A", "https://a.example/"), ("F", [("B", "https://b.example/")])]
    assert chrome.outline()["Bookmarks bar"] == expected
    records = await account.live()
    check_server_consistent(records)
    assert server_outline(records, "toolbar") == expected
    assert records["toolbar"]["children"] == ["otherA000001", "otherF000001"]


async def test_first_sync_merges_both_sides(account, devices):
    firefox, chrome = devices("firefox"), devices("chrome")
    firefox.write(browser_tree(bar=[bm("A", "https://a.example/"), bm("B", "https://b.example/")]))
    await account.sync(firefox)
    chrome.write(
        browser_tree(
            bar=[bm("B", "https://b.example/"), bm("C", "https://c.example/")],
            other=[bm("D", "https://d.example/")],
        )
    )
    report = await account.sync(chrome)
    assert report.first_sync and report.removed == 0 and report.tombstones == 0
    bar = [title for title, _ in chrome.outline()["Bookmarks bar"]]
    assert sorted(bar) == ["A", "B", "C"]  # B matched, not doubled; nothing wiped
    await account.sync(firefox)
    assert firefox.outline()["Bookmarks bar"] == chrome.outline()["Bookmarks bar"]
    assert ("D", "https://d.example/") in firefox.outline()["Other bookmarks"]
    check_server_consistent(await account.live())


class ForgetfulBrowser:
    """A browser that applies every operation but loses the answer for one created node
    (as when the extension's reply is cut short)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.profile_id = inner.profile_id

    async def read_tree(self):
        return await self.inner.read_tree()

    async def apply(self, ops):
        created = await self.inner.apply(ops)
        created.pop(next(iter(created)))
        return created


async def test_an_incomplete_apply_uploads_nothing_and_the_next_sync_recovers(account, devices):
    from daemon.bookmarks.engine import BrowserApplyError, sync_profile

    firefox, chrome = devices("firefox"), devices("chrome")
    firefox.write(browser_tree(bar=[bm("A", "https://a.example/"), bm("B", "https://b.example/")]))
    await account.sync(firefox)
    chrome.write(browser_tree(other=[bm("Mine", "https://mine.example/")]))
    before = await account.records()
    with pytest.raises(BrowserApplyError):
        await sync_profile(
            ForgetfulBrowser(chrome.endpoint),
            await account.client(),
            chrome.store,
            chrome.settings,
            snapshots=chrome.snapshots,
        )
    assert await account.records() == before  # nothing uploaded from a half-known state
    await account.sync(chrome)
    await account.sync(firefox)
    assert chrome.outline()["Bookmarks bar"] == [
        ("A", "https://a.example/"),
        ("B", "https://b.example/"),
    ]
    assert firefox.outline() == chrome.outline()
    check_server_consistent(await account.live())


async def test_prefetched_changes_are_merged_by_the_next_sync(account, devices):
    from daemon.bookmarks.engine import prefetch

    chrome, firefox = devices("chrome"), devices("firefox")
    chrome.write(browser_tree(bar=[bm("A", "https://a.example/")]))
    await account.sync(chrome)
    await account.sync(firefox)
    tree = firefox.read()
    tree[0]["children"][0]["children"][0]["title"] = "A from Firefox"
    firefox.write(tree)
    await account.sync(firefox)

    # The browser is closed: the daemon fetches the change into chrome's mirror.
    assert await prefetch(await account.client(), chrome.store) == 1  # the renamed A
    assert await prefetch(await account.client(), chrome.store) == 0  # nothing newer
    report = await account.sync(chrome)
    assert report.downloaded == 0 and report.updated == 1  # merged from the mirror
    assert chrome.outline()["Bookmarks bar"] == [("A from Firefox", "https://a.example/")]
    assert not (await account.sync(chrome)).changed


async def test_no_snapshot_when_neither_side_has_a_bookmark(account, devices):
    empty = devices("empty")  # no file and an empty account
    report = await account.sync(empty)
    assert report.changed and report.snapshot is None  # the menu folder, nothing to restore
    empty.write(browser_tree(bar=[bm("A", "https://a.example/")]))
    assert (await account.sync(empty)).snapshot is not None
