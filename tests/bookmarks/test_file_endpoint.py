"""The file endpoint: a getTree() JSON file behaving like a browser profile."""

from __future__ import annotations

import copy
import json
import stat

import pytest

from daemon.bookmarks.chrome import BrowserTreeError, parse_tree, to_json
from daemon.bookmarks.endpoints import FileEndpoint, apply_operations
from tests.bookmarks.sync_support import bm, browser_tree, folder, outline


async def test_missing_file_is_an_empty_profile(tmp_path):
    endpoint = FileEndpoint(tmp_path / "none.json")
    tree = parse_tree(await endpoint.read_tree())
    assert tree.item_count() == 0 and len(tree.roots) == 3
    assert not endpoint.path.exists()


def test_profile_id_comes_from_the_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    relative = FileEndpoint(tmp_path.__class__("b.json"))
    absolute = FileEndpoint(tmp_path / "b.json")
    assert relative.profile_id == absolute.profile_id
    assert FileEndpoint(tmp_path / "c.json").profile_id != absolute.profile_id


async def test_bad_files_are_clear_errors(tmp_path):
    path = tmp_path / "b.json"
    path.write_text("{not json")
    with pytest.raises(BrowserTreeError, match="not valid JSON"):
        await FileEndpoint(path).read_tree()
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(BrowserTreeError):
        await FileEndpoint(path).read_tree()


async def test_apply_writes_atomically_and_returns_new_ids(tmp_path):
    endpoint = FileEndpoint(tmp_path / "b.json", clock=lambda: 1234.5)
    endpoint.write(browser_tree(bar=[bm("A", "https://a/")]))
    created = await endpoint.apply(
        [
            {"op": "create", "ref": "folder000001", "parent": "1", "index": 0, "title": "F"},
            {
                "op": "create",
                "ref": "child0000001",
                "parent": "folder000001",
                "index": 0,
                "title": "C",
                "url": "https://c/",
            },
        ]
    )
    assert created == {"folder000001": "5", "child0000001": "6"}
    data = json.loads(endpoint.path.read_text())
    assert outline(data)["Bookmarks bar"] == [("F", [("C", "https://c/")]), ("A", "https://a/")]
    node = data[0]["children"][0]["children"][0]["children"][0]
    assert node == {
        "id": "6",
        "parentId": "5",
        "index": 0,
        "title": "C",
        "url": "https://c/",
        "dateAdded": 1234500,
    }
    assert not list(tmp_path.glob(".b.json.*"))  # no temporary file left behind


async def test_a_bad_operation_writes_nothing(tmp_path):
    endpoint = FileEndpoint(tmp_path / "b.json")
    endpoint.write(browser_tree(bar=[bm("A", "https://a/")]))
    before = endpoint.path.read_bytes()
    with pytest.raises(BrowserTreeError):
        await endpoint.apply(
            [{"op": "update", "id": "4", "title": "x"}, {"op": "remove", "id": "1"}]
        )
    assert endpoint.path.read_bytes() == before


@pytest.mark.parametrize(
    "op",
    [
        {"op": "move", "id": "5", "parent": "6", "index": 0},  # into its own child
        {"op": "create", "parent": "4", "title": "x"},  # a bookmark is no folder
        {"op": "create", "parent": "1", "index": 9, "title": "x"},
        {"op": "create", "parent": "1", "index": -1, "title": "x"},
        {"op": "create", "parent": "nope", "title": "x"},
        {"op": "update", "id": "5", "url": "https://x/"},  # a folder has no URL
        {"op": "move", "id": "2", "parent": "1", "index": 0},
        {"op": "explode", "id": "4"},
    ],
)
def test_invalid_operations(op):
    tree = parse_tree(browser_tree(bar=[bm("A", "https://a/"), folder("F", folder("G"))]))
    with pytest.raises(BrowserTreeError):
        apply_operations(tree, [op], now_ms=0)


def test_moves_use_chromes_index_meaning():
    """In one folder, Chrome reads a move's index as a position before the node leaves."""
    tree = parse_tree(browser_tree(bar=[bm(t, f"https://{t}/") for t in "abcd"]))
    apply_operations(tree, [{"op": "move", "id": "4", "parent": "1", "index": 3}], now_ms=0)
    assert [tree.nodes[i].title for i in tree.nodes["1"].children] == ["b", "c", "a", "d"]
    apply_operations(tree, [{"op": "move", "id": "7", "parent": "1", "index": 0}], now_ms=0)
    assert [tree.nodes[i].title for i in tree.nodes["1"].children] == ["d", "b", "c", "a"]


def test_remove_takes_the_subtree_and_ids_are_not_reused_in_one_batch():
    tree = parse_tree(browser_tree(bar=[folder("F", bm("A", "https://a/")), bm("B", "https://b/")]))
    created = apply_operations(
        tree,
        [{"op": "remove", "id": "4"}, {"op": "create", "ref": "r", "parent": "1", "title": "N"}],
        now_ms=0,
    )
    assert "4" not in tree.nodes and "5" not in tree.nodes
    assert created == {"r": "7"}
    round_trip = to_json(parse_tree(copy.deepcopy(to_json(tree))))
    assert round_trip == to_json(tree)


async def test_written_file_is_private(tmp_path):
    endpoint = FileEndpoint(tmp_path / "b.json")
    endpoint.write(browser_tree())
    assert stat.S_IMODE(endpoint.path.stat().st_mode) & 0o077 == 0
