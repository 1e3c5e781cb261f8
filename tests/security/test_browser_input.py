"""What the browser sends: ``chrome.bookmarks.getTree()`` results with random junk.

A malformed tree is refused with a ``BrowserTreeError`` before anything else happens;
in particular a sync given one deletes nothing on the server.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from daemon.bookmarks.chrome import BrowserTreeError, parse_tree
from daemon.errors import FoxbridgeError
from daemon.settings import Settings
from tests.bookmarks.sync_support import Account, Device, bm, browser_tree, folder
from tests.security.strategies import JSON, json_or

NODE_IDS = st.sampled_from(["0", "1", "2", "3", "4", "5", "", "x" * 65])


def nodes(depth: int = 2) -> st.SearchStrategy[object]:
    leaf = st.fixed_dictionaries(
        {"id": json_or(NODE_IDS)},
        optional={
            "title": JSON,
            "url": json_or(st.sampled_from(["https://a.example/", "", "x" * 70000])),
            "dateAdded": JSON,
            "folderType": json_or(st.sampled_from(["bookmarks-bar", "other", "mobile"])),
            "parentId": JSON,
            "index": JSON,
        },
    )
    if depth == 0:
        return leaf | JSON
    return st.builds(
        lambda node, children: {**node, "children": children} if children is not None else node,
        leaf,
        st.none() | st.lists(nodes(depth - 1), max_size=3) | JSON,
    )


def _valid_tree() -> list[dict[str, object]]:
    return browser_tree(bar=[bm("a", "https://a.example/")], other=[folder("f")])


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(nodes(), max_size=2) | nodes() | JSON)
@example([{"id": "0", "children": [{"id": "1", "dateAdded": float("inf"), "children": []}]}])
@example([{"id": "0", "children": [{"id": "1", "dateAdded": float("nan"), "children": []}]}])
@example([{"id": "0", "children": [{"id": "1", "dateAdded": 1e300, "children": []}]}])
def test_any_browser_tree_parses_or_is_refused(data):
    try:
        tree = parse_tree(data)
    except BrowserTreeError as failure:
        assert failure.message
        return
    assert tree.root_id in tree.nodes
    assert all(node.date_added >= 0 for node in tree.nodes.values())


@pytest.mark.parametrize(
    "bad",
    [
        "not json at all",
        json.dumps({"id": "0"}),  # no permanent folders
        json.dumps([{"id": "0", "children": [{"id": "1", "title": 5, "children": []}]}]),
        json.dumps([{"id": "0", "children": "junk"}]),
        json.dumps([]),
    ],
)
async def test_a_malformed_browser_tree_deletes_nothing_on_the_server(
    stack, tmp_path: Path, bad: str
):
    async with aiohttp.ClientSession() as http:
        account = Account(stack, http)
        device = Device("chrome", tmp_path / "chrome", Settings())
        try:
            device.write(_valid_tree())
            await account.sync(device)
            before = await account.live()
            titles = {record.get("title") for record in before.values()}
            assert {"a", "f"} <= titles

            device.endpoint.path.write_text(bad)
            with pytest.raises(FoxbridgeError):
                await account.sync(device)
            assert await account.live() == before
        finally:
            device.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
