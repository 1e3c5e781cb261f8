"""Property: two profiles edited concurrently converge through the server, losing nothing.

Each example starts from one synced tree, makes random edits (create, rename, move,
remove) in two file profiles, and syncs them in turn against the real local stack.
"""

from __future__ import annotations

import itertools
import tempfile
from collections import Counter
from pathlib import Path

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.bookmarks.chrome import parse_tree, to_json
from daemon.bookmarks.endpoints import apply_operations
from daemon.settings import Settings
from tests.bookmarks.sync_support import (
    Account,
    Device,
    bm,
    browser_tree,
    check_server_consistent,
    folder,
)

_accounts = itertools.count()
_urls = itertools.count()


def edit(device: Device, data: st.DataObject, count: int) -> set[str]:
    """Random edits with Chrome's semantics; returns the URLs of bookmarks added."""
    tree = parse_tree(device.read())
    added: set[str] = set()
    permanent = set(tree.roots.values()) | {tree.root_id}
    menu_ids = {n for n, node in tree.nodes.items() if node.title == "Bookmarks Menu"}
    for _ in range(count):
        movable = sorted(n for n in tree.nodes if n not in permanent and n not in menu_ids)
        folders = sorted(
            n for n, node in tree.nodes.items() if node.is_folder and n != tree.root_id
        )
        kind = data.draw(st.sampled_from(["create", "folder", "rename", "move", "remove"]))
        if kind in ("create", "folder") or not movable:
            parent = data.draw(st.sampled_from(folders))
            index = data.draw(st.integers(0, len(tree.nodes[parent].children)))
            op = {"op": "create", "parent": parent, "index": index, "title": f"n{next(_urls)}"}
            if kind != "folder":
                op["url"] = f"https://u{next(_urls)}.example/"
                added.add(op["url"])
        else:
            target = data.draw(st.sampled_from(movable))
            if kind == "rename":
                op = {"op": "update", "id": target, "title": f"r{next(_urls)}"}
            elif kind == "remove":
                op = {"op": "remove", "id": target}
                added -= {tree.nodes[n].url for n in tree.subtree(target)}
            else:
                inside = set(tree.subtree(target))
                parent = data.draw(st.sampled_from([f for f in folders if f not in inside]))
                index = data.draw(st.integers(0, len(tree.nodes[parent].children)))
                op = {"op": "move", "id": target, "parent": parent, "index": index}
        apply_operations(tree, [op], now_ms=1)
    device.write(to_json(tree))
    return added


def synced_content(device: Device) -> dict:
    """The outline, with the menu's folder lifted out of Other bookmarks: where that folder
    sits among them is each profile's own business (it is no synced item)."""
    content = device.outline()
    other = content["Other bookmarks"]
    content["menu"] = [entry for entry in other if entry[0] == "Bookmarks Menu"]
    content["Other bookmarks"] = [entry for entry in other if entry[0] != "Bookmarks Menu"]
    return content


def urls(device: Device) -> Counter[str]:
    tree = parse_tree(device.read())
    return Counter(node.url for node in tree.nodes.values() if node.url)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_concurrent_edits_converge(stack, data):
    with tempfile.TemporaryDirectory() as tmp:
        async with aiohttp.ClientSession() as http:
            account = Account(stack, http, email=f"prop{next(_accounts)}@example.com")
            one = Device("one", Path(tmp) / "one", Settings())
            two = Device("two", Path(tmp) / "two", Settings())
            one.write(
                browser_tree(
                    bar=[bm("A", "https://a.example/"), folder("F", bm("B", "https://b.example/"))],
                    other=[folder("G", folder("H", bm("C", "https://c.example/")))],
                )
            )
            await account.sync(one, force=True)
            await account.sync(two, force=True)

            added = edit(one, data, data.draw(st.integers(0, 6), label="edits on one"))
            added |= edit(two, data, data.draw(st.integers(0, 6), label="edits on two"))
            for device in (one, two, one, two):
                await account.sync(device, force=True)

            assert synced_content(one) == synced_content(two)
            for device in (one, two):
                counts = urls(device)
                assert all(n == 1 for n in counts.values()), counts  # nothing doubled
                assert added <= set(counts)  # nothing added was lost
            records = await account.live()
            check_server_consistent(records)
            assert not (await account.sync(one)).changed
            assert not (await account.sync(two)).changed
            one.close()
            two.close()
