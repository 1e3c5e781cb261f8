"""Planning: merged tree → browser operations and records to upload."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.bookmarks.chrome import parse_tree, project, to_json
from daemon.bookmarks.endpoints import apply_operations
from daemon.bookmarks.model import MENU, MOBILE, PLACES_ROOT, TOOLBAR, UNFILED, Item, Kind, Tree
from daemon.bookmarks.plan import plan_browser, plan_upload, visible_items
from daemon.settings import MenuPlacement

ROOTS = (TOOLBAR, UNFILED, MOBILE)


def make_tree(*items: Item) -> Tree:
    tree = Tree()
    for root in (MENU, TOOLBAR, UNFILED, MOBILE):
        tree.add(Item(root, Kind.FOLDER, PLACES_ROOT, root))
    for item in items:
        tree.add(item)
        tree.items[item.parent].children.append(item.guid)
    return tree


def browser_json(layout: dict[str, list[tuple[str, str, str | None]]]) -> tuple[list, dict]:
    """getTree JSON from {parent guid: [(guid, title, url)]}, and its id map."""
    from tests.bookmarks.sync_support import browser_tree

    data = browser_tree()
    root_nodes = {
        TOOLBAR: data[0]["children"][0],
        UNFILED: data[0]["children"][1],
        MOBILE: data[0]["children"][2],
    }
    id_map: dict[str, str] = {}
    next_id = [100]

    def fill(node: dict[str, Any], guid: str) -> None:
        for child_guid, title, url in layout.get(guid, []):
            child = {"id": str(next_id[0]), "title": title, "dateAdded": 1}
            next_id[0] += 1
            id_map[child["id"]] = child_guid
            if url is None:
                child["children"] = []
                fill(child, child_guid)
            else:
                child["url"] = url
            node["children"].append(child)

    for root, node in root_nodes.items():
        fill(node, root)
    return data, id_map


def apply_and_project(
    merged: Tree, data: list, id_map: dict[str, str], placement=MenuPlacement.OTHER
):
    browser = parse_tree(data)
    projection = project(browser, id_map, placement=placement, now=1.0)
    plan = plan_browser(merged, browser, projection, placement=placement)
    after = parse_tree(copy.deepcopy(to_json(browser)))
    created = apply_operations(after, plan.ops, now_ms=5)
    new_map = {k: v for k, v in projection.guid_of.items() if k in after.nodes}
    new_map.update({node_id: ref for ref, node_id in created.items()})
    result = project(after, new_map, placement=placement, now=1.0)
    assert not result.new_guids, "every node after the plan is one the merged tree has"
    return plan, result.tree


def assert_shows(merged: Tree, local: Tree, placement=MenuPlacement.OTHER) -> None:
    roots = [*ROOTS, MENU] if placement is not MenuPlacement.HIDDEN else list(ROOTS)
    visible = visible_items(merged, roots)
    assert set(local.items) == set(visible)
    for guid in visible:
        mine, theirs = merged.items[guid], local.items[guid]
        assert theirs.children == [c for c in mine.children if c in visible], guid
        if guid not in (MENU, *ROOTS):
            assert (theirs.title, theirs.url) == (mine.title, mine.url)


def test_creates_moves_updates_and_removes():
    data, id_map = browser_json(
        {
            TOOLBAR: [("aaaaaaaaaaaa", "A", "https://a/"), ("ffffffffffff", "F", None)],
            "ffffffffffff": [
                ("bbbbbbbbbbbb", "B", "https://b/"),
                ("gonegonegone", "Gone", "https://g/"),
            ],
            UNFILED: [("cccccccccccc", "C", "https://c/")],
        }
    )
    merged = make_tree(
        Item("cccccccccccc", Kind.BOOKMARK, TOOLBAR, "C", "https://c/"),
        Item("aaaaaaaaaaaa", Kind.BOOKMARK, TOOLBAR, "A renamed", "https://a2/"),
        Item("newnewnewnew", Kind.FOLDER, UNFILED, "New"),
        Item("bbbbbbbbbbbb", Kind.BOOKMARK, "newnewnewnew", "B", "https://b/"),
        Item("sepsepsepsep", Kind.SEPARATOR, TOOLBAR),
    )
    plan, local = apply_and_project(merged, data, id_map)
    assert_shows(merged, local)
    kinds = [op["op"] for op in plan.ops]
    assert kinds.count("remove") == 1  # F, with Gone inside; B was moved out first
    assert kinds[-1] == "remove"
    assert plan.removed == 2 and plan.deleted == 2 and plan.deleted_titles == ["F", "Gone"]
    assert not any(op.get("ref") == "sepsepsepsep" for op in plan.ops)


def test_nothing_to_do_means_no_operations():
    data, id_map = browser_json({TOOLBAR: [("aaaaaaaaaaaa", "A", "https://a/")]})
    merged = make_tree(Item("aaaaaaaaaaaa", Kind.BOOKMARK, TOOLBAR, "A", "https://a/"))
    browser = parse_tree(data)
    projection = project(browser, id_map, placement=MenuPlacement.HIDDEN, now=1.0)
    assert plan_browser(merged, browser, projection, placement=MenuPlacement.HIDDEN).ops == []


def test_the_menu_folder_is_created_once_and_kept_in_place():
    data, id_map = browser_json({UNFILED: [("oooooooooooo", "O", "https://o/")]})
    merged = make_tree(
        Item("oooooooooooo", Kind.BOOKMARK, UNFILED, "O", "https://o/"),
        Item("mmmmmmmmmmmm", Kind.BOOKMARK, MENU, "M", "https://m/"),
    )
    plan, local = apply_and_project(merged, data, id_map)
    assert plan.ops[0] == {
        "op": "create",
        "ref": MENU,
        "parent": "2",
        "index": 0,
        "title": "Bookmarks Menu",
    }
    assert_shows(merged, local)


def test_hidden_menu_placement_removes_the_folder_but_never_its_items():
    data, id_map = browser_json(
        {
            UNFILED: [("menumenu0000", "Bookmarks Menu", None)],
            "menumenu0000": [("mmmmmmmmmmmm", "M", "https://m/")],
        }
    )
    id_map = {k: (MENU if v == "menumenu0000" else v) for k, v in id_map.items()}
    merged = make_tree(Item("mmmmmmmmmmmm", Kind.BOOKMARK, MENU, "M", "https://m/"))
    plan, local = apply_and_project(merged, data, id_map, placement=MenuPlacement.HIDDEN)
    assert [op["op"] for op in plan.ops] == ["remove"]
    assert plan.removed == 2 and plan.deleted == 0  # out of view, not deleted
    assert_shows(merged, local, MenuPlacement.HIDDEN)


@st.composite
def scenarios(draw):
    count = draw(st.integers(0, 14))
    kinds = [
        draw(st.sampled_from(["folder", "bookmark", "bookmark", "separator"])) for _ in range(count)
    ]
    guids = [f"item{n:08d}" for n in range(count)]

    def forest(allow_hidden: bool):
        layout: dict[str, list[tuple[str, str, str | None]]] = {}
        for n, guid in enumerate(guids):
            if kinds[n] == "separator" and not allow_hidden:
                continue
            if not draw(st.booleans()):
                continue  # absent on this side
            parents = [
                *ROOTS,
                *(
                    g
                    for g, k in zip(guids[:n], kinds, strict=False)
                    if k == "folder"
                    and any(guid2 == g for lst in layout.values() for guid2, *_ in lst)
                ),
            ]
            parent = draw(st.sampled_from(parents))
            title = draw(st.sampled_from(["x", "y"]))
            url = None if kinds[n] == "folder" else f"https://{title}/"
            siblings = layout.setdefault(parent, [])
            siblings.insert(draw(st.integers(0, len(siblings))), (guid, title, url))
        return layout

    return kinds, forest(False), forest(True)


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_any_plan_turns_the_browser_into_the_merged_tree(scenario):
    kinds, browser_layout, merged_layout = scenario
    data, id_map = browser_json(browser_layout)
    merged = make_tree()
    pending = [(root, root) for root in ROOTS]
    while pending:
        parent, _ = pending.pop()
        for guid, title, url in merged_layout.get(parent, []):
            kind = Kind(kinds[int(guid[4:])])
            merged.add(
                Item(
                    guid,
                    kind,
                    parent,
                    "" if kind is Kind.SEPARATOR else title,
                    url if kind is Kind.BOOKMARK else None,
                )
            )
            merged.items[parent].children.append(guid)
            pending.append((guid, guid))
    _, local = apply_and_project(merged, data, id_map)
    assert_shows(merged, local)


def test_uploads_only_what_differs_and_keeps_extra_fields():
    remote = make_tree(
        Item("aaaaaaaaaaaa", Kind.BOOKMARK, TOOLBAR, "A", "https://a/", extra={"tags": ["t"]}),
        Item("bbbbbbbbbbbb", Kind.BOOKMARK, TOOLBAR, "B", "https://b/"),
        Item("dddddddddddd", Kind.BOOKMARK, UNFILED, "D", "https://d/"),
    )
    merged = make_tree(
        Item("aaaaaaaaaaaa", Kind.BOOKMARK, TOOLBAR, "A2", "https://a/", extra={"tags": ["t"]}),
        Item("bbbbbbbbbbbb", Kind.BOOKMARK, TOOLBAR, "B", "https://b/"),
    )
    records = plan_upload(merged, remote, server_live=set(remote.items))
    by_id = {r.guid: r for r in records}
    assert set(by_id) == {"aaaaaaaaaaaa", "dddddddddddd", "unfiled"}
    assert by_id["aaaaaaaaaaaa"].cleartext["tags"] == ["t"]
    assert by_id["aaaaaaaaaaaa"].cleartext["title"] == "A2"
    assert by_id["dddddddddddd"].deleted
    assert by_id["unfiled"].cleartext["children"] == []
    assert by_id["unfiled"].cleartext["title"] == "unfiled"  # the server's root title


def test_a_move_uploads_both_parents_and_the_item():
    remote = make_tree(
        Item("ffffffffffff", Kind.FOLDER, TOOLBAR, "F"),
        Item("aaaaaaaaaaaa", Kind.BOOKMARK, TOOLBAR, "A", "https://a/"),
    )
    merged = copy.deepcopy(remote)
    merged.items[TOOLBAR].children.remove("aaaaaaaaaaaa")
    merged.items["ffffffffffff"].children.append("aaaaaaaaaaaa")
    merged.items["aaaaaaaaaaaa"].parent = "ffffffffffff"
    records = plan_upload(merged, remote, server_live=set(remote.items))
    assert {r.guid for r in records} == {"aaaaaaaaaaaa", "ffffffffffff", TOOLBAR}
    assert {r.guid: r for r in records}["aaaaaaaaaaaa"].cleartext["parentName"] == "F"


def test_tombstones_only_for_live_server_records():
    remote = make_tree()
    remote.tombstones.add("oldoldoldold")
    merged = make_tree()
    records = plan_upload(
        merged, remote, server_live={"places", *remote.items}, deleted={"oldoldoldold", "places"}
    )
    assert [r.guid for r in records] == ["places"]
    assert records[0].deleted
