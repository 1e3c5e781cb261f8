"""Reading the browser's tree and projecting it onto Sync GUIDs."""

from __future__ import annotations

import pytest

from daemon.bookmarks.chrome import (
    BrowserTreeError,
    empty_tree_json,
    parse_tree,
    project,
    to_json,
)
from daemon.bookmarks.model import MENU, MOBILE, PLACES_ROOT, TOOLBAR, UNFILED, Kind
from daemon.settings import MenuPlacement
from tests.bookmarks.sync_support import bm, browser_tree, folder


def test_roots_are_found_by_folder_type():
    tree = browser_tree(bar=[bm("A", "https://a/")])
    # Another browser may number its permanent folders differently.
    for root, new_id in zip(tree[0]["children"], ("10", "20", "30"), strict=True):
        root["id"] = new_id
        for child in root["children"]:
            child["parentId"] = new_id
    parsed = parse_tree(tree)
    assert parsed.roots == {TOOLBAR: "10", UNFILED: "20", MOBILE: "30"}


def test_roots_fall_back_to_ids_without_folder_type():
    tree = browser_tree()
    for root in tree[0]["children"]:
        del root["folderType"]
    assert parse_tree(tree).roots == {TOOLBAR: "1", UNFILED: "2", MOBILE: "3"}


@pytest.mark.parametrize(
    "breakage",
    [
        lambda t: t.append(t[0]),  # two roots
        lambda t: t[0]["children"][0].__setitem__("children", "nope"),
        lambda t: t[0]["children"][0]["children"].append({"id": 5, "title": "x"}),
        lambda t: t[0]["children"][0]["children"].append({"id": "4", "title": 7}),
        lambda t: t[0]["children"][0]["children"].append({"id": "9", "url": ["x"]}),
        lambda t: t[0]["children"][0]["children"].append("node"),
        lambda t: t[0]["children"][1]["children"].append(dict(t[0]["children"][0]["children"][0])),
        lambda t: t[0].__setitem__("children", []),  # no permanent folders
        lambda t: t[0]["children"][0]["children"].append(
            {"id": "9", "title": "x", "url": "https://x/", "children": []}
        ),
    ],
)
def test_malformed_trees_are_clear_errors(breakage):
    tree = browser_tree(bar=[bm("A", "https://a/")])
    breakage(tree)
    with pytest.raises(BrowserTreeError):
        parse_tree(tree)


def test_deep_trees_do_not_overflow():
    node = {"id": "100", "title": "leaf", "url": "https://leaf/"}
    for depth in range(3000):
        node = {"id": str(101 + depth), "title": f"f{depth}", "children": [node]}
    data = browser_tree()
    data[0]["children"][0]["children"] = [node]
    tree = parse_tree(data)
    assert len(tree.nodes) == 3000 + 1 + 4
    assert to_json(tree)[0]["children"][0]["children"][0]["title"] == "f2999"


def test_round_trip_keeps_chrome_fields():
    tree = browser_tree(bar=[folder("F", bm("A", "https://a/"))])
    tree[0]["children"][0]["children"][0]["dateGroupModified"] = 123
    assert to_json(parse_tree(tree)) == tree


def test_projection_maps_known_ids_and_mints_new_guids():
    browser = parse_tree(browser_tree(bar=[bm("A", "https://a/"), bm("B", "https://b/")]))
    projection = project(
        browser,
        {"4": "aaaaaaaaaaaa"},
        placement=MenuPlacement.OTHER,
        now=100.0,
        changed_at={"4": 50_000},
    )
    local = projection.tree
    assert local.items[TOOLBAR].children[0] == "aaaaaaaaaaaa"
    new = local.items[TOOLBAR].children[1]
    assert projection.new_guids == {new} and len(new) == 12
    assert local.items["aaaaaaaaaaaa"].modified == 50.0
    assert local.items[new].modified == 100.0
    assert local.items[new].kind is Kind.BOOKMARK and local.items[new].parent == TOOLBAR
    assert local.items[TOOLBAR].parent == PLACES_ROOT


def test_a_bogus_id_map_entry_never_clashes():
    browser = parse_tree(browser_tree(bar=[bm("A", "https://a/"), bm("B", "https://b/")]))
    id_map = {"4": "aaaaaaaaaaaa", "5": "aaaaaaaaaaaa", "1": "unfiled"}
    projection = project(browser, id_map, placement=MenuPlacement.OTHER, now=1.0)
    assert len(set(projection.guid_of.values())) == len(projection.guid_of)
    assert projection.guid_of["1"] == TOOLBAR


def test_menu_folder_is_the_menu_root():
    tree = browser_tree(
        other=[folder("Bookmarks Menu", bm("M", "https://m/")), bm("O", "https://o/")]
    )
    projection = project(parse_tree(tree), {}, placement=MenuPlacement.OTHER, now=1.0)
    local = projection.tree
    assert projection.menu_folder_id == "4"
    assert local.items[MENU].parent == PLACES_ROOT
    assert [local.items[c].title for c in local.items[MENU].children] == ["M"]
    assert [local.items[c].title for c in local.items[UNFILED].children] == ["O"]
    assert projection.hidden_roots == frozenset()


def test_a_user_folder_named_like_the_menu_stays_a_folder_once_mapped():
    tree = browser_tree(other=[folder("Bookmarks Menu")])
    projection = project(
        parse_tree(tree), {"4": "userfolder01"}, placement=MenuPlacement.OTHER, now=1.0
    )
    assert projection.guid_of["4"] == "userfolder01"
    assert MENU not in projection.tree and projection.hidden_roots == {MENU}


def test_hidden_menu_drops_its_folder():
    tree = browser_tree(other=[folder("Bookmarks Menu", bm("M", "https://m/"))])
    projection = project(parse_tree(tree), {"4": MENU}, placement=MenuPlacement.HIDDEN, now=1.0)
    assert projection.dropped_ids == {"4", "5"}
    assert MENU in projection.hidden_roots
    assert projection.tree.items[UNFILED].children == []


def test_empty_profile():
    tree = parse_tree(empty_tree_json())
    assert tree.item_count() == 0
    projection = project(tree, {}, placement=MenuPlacement.OTHER, now=1.0)
    assert set(projection.tree.items) == {TOOLBAR, UNFILED, MOBILE}


def test_a_node_without_dateadded_counts_as_added_now() -> None:
    """Hand-written files may omit dateAdded: the item is new, not from 1970."""
    from daemon.bookmarks.chrome import parse_tree, project

    raw = [
        {
            "id": "0",
            "title": "",
            "children": [
                {
                    "id": "1",
                    "title": "Bookmarks bar",
                    "folderType": "bookmarks-bar",
                    "children": [{"id": "10", "title": "M", "url": "https://m.example/"}],
                },
                {"id": "2", "title": "Other bookmarks", "folderType": "other", "children": []},
            ],
        }
    ]
    projection = project(parse_tree(raw), {}, placement=MenuPlacement.OTHER, now=1_700_000_000.0)
    (item,) = [i for i in projection.tree.items.values() if i.url]
    assert item.date_added == 1_700_000_000_000
