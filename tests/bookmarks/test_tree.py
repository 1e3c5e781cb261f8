"""Building the remote tree from server records, one repair rule at a time."""

from __future__ import annotations

from daemon.bookmarks.model import USER_ROOTS, Kind, is_valid_guid
from daemon.bookmarks.records import RemoteRecord, parse_record
from daemon.bookmarks.tree import build_remote_tree


def gid(name: str) -> str:
    """A valid 12-character GUID that reads like ``name``."""
    return (name + "_" * 12)[:12]


def folder(name: str, parent: str, *children: str, at: float = 1.0) -> RemoteRecord:
    guid = name if name in USER_ROOTS or name == "places" else gid(name)
    kids = [c if c in USER_ROOTS else gid(c) for c in children]
    cleartext = {
        "id": guid,
        "type": "folder",
        "parentid": _ref(parent),
        "title": name,
        "children": kids,
    }
    return parse_record(cleartext, modified=at)


def bookmark(name: str, parent: str, *, at: float = 1.0) -> RemoteRecord:
    cleartext = {
        "id": gid(name),
        "type": "bookmark",
        "parentid": _ref(parent),
        "title": name,
        "bmkUri": f"https://{name}.example/",
    }
    return parse_record(cleartext, modified=at)


def tombstone(name: str) -> RemoteRecord:
    return parse_record({"id": gid(name), "deleted": True}, modified=1.0)


def _ref(name: str) -> str:
    return name if name in (*USER_ROOTS, "places", "", "pinned") else gid(name)


def roots(**children: tuple[str, ...]) -> list[RemoteRecord]:
    return [folder(root, "places", *children.get(root, ())) for root in USER_ROOTS]


def names(tree, guid: str) -> list[str]:
    return [c.rstrip("_") for c in tree.items[guid].children]


def test_a_valid_tree_has_no_problems_and_nothing_diverged():
    built = build_remote_tree(
        [
            *roots(toolbar=("a", "f")),
            bookmark("a", "toolbar"),
            folder("f", "toolbar", "b"),
            bookmark("b", "f"),
        ]
    )
    assert built.is_valid and not built.tree.diverged
    assert names(built.tree, "toolbar") == ["a", "f"]
    assert names(built.tree, gid("f")) == ["b"]


def test_rule1_missing_roots_are_synthesised_and_roots_hang_under_places():
    built = build_remote_tree([folder("toolbar", gid("x")), bookmark("a", "menu")])
    assert all(built.tree.items[root].parent == "places" for root in USER_ROOTS)
    assert built.problems["misparentedRoots"] == 1
    assert "toolbar" in built.tree.diverged
    assert names(built.tree, "menu") == ["a"]  # appended to the synthesised root


def test_rule1_a_root_listed_as_a_child_stays_a_root():
    built = build_remote_tree([*roots(), folder("f", "menu", "toolbar"), *roots(menu=("f",))])
    assert built.tree.items["toolbar"].parent == "places"
    assert built.tree.items[gid("f")].children == []
    assert gid("f") in built.tree.diverged


def test_rule2_multiple_parents_newest_folder_wins():
    built = build_remote_tree(
        [
            *roots(menu=("old", "new")),
            folder("old", "menu", "a", at=1.0),
            folder("new", "menu", "a", at=2.0),
            bookmark("a", "old"),
        ]
    )
    assert built.tree.items[gid("a")].parent == gid("new")
    assert names(built.tree, gid("old")) == []
    assert built.problems["multipleParents"] == 1
    assert {gid("old"), gid("new"), gid("a")} <= built.tree.diverged


def test_rule3_children_beat_parentid():
    built = build_remote_tree(
        [*roots(menu=("f",), toolbar=()), folder("f", "menu", "a"), bookmark("a", "toolbar")]
    )
    assert built.tree.items[gid("a")].parent == gid("f")
    assert built.problems["parentChildDisagreements"] == 1
    assert gid("a") in built.tree.diverged


def test_rule4_item_in_no_children_is_appended_to_its_parentid_folder():
    built = build_remote_tree([*roots(menu=("a",)), bookmark("a", "menu"), bookmark("b", "menu")])
    assert names(built.tree, "menu") == ["a", "b"]
    assert built.problems["parentChildDisagreements"] == 1
    assert {"menu", gid("b")} <= built.tree.diverged


def test_rule5_orphans_go_to_unfiled():
    built = build_remote_tree(
        [
            *roots(toolbar=("bm",)),
            bookmark("bm", "toolbar"),
            bookmark("lost", "nowhere"),
            bookmark("under_bm", "bm"),
            bookmark("gone", "deadfolder"),
            tombstone("deadfolder"),
            parse_record({"id": gid("noparent"), "type": "separator"}, modified=1.0),
        ]
    )
    assert names(built.tree, "unfiled") == ["lost", "under_bm", "gone", "noparent"]
    assert built.problems["orphans"] == 4
    assert built.problems["missingParentGuids"] == 1
    assert built.problems["nonFolderParents"] == 1
    assert built.problems["deletedParentGuids"] == 1
    assert all(built.tree.items[gid(n)].parent == "unfiled" for n in ("lost", "gone"))


def test_rule6_missing_and_deleted_children_are_skipped():
    built = build_remote_tree(
        [
            *roots(menu=("f",)),
            folder("f", "menu", "a", "ghost", "dead"),
            bookmark("a", "f"),
            tombstone("dead"),
        ]
    )
    assert names(built.tree, gid("f")) == ["a"]
    assert built.problems["missingChildren"] == 1
    assert built.problems["deletedChildren"] == 1
    assert gid("f") in built.tree.diverged


def test_rule7_non_syncable_records_are_removed_and_their_content_kept():
    built = build_remote_tree(
        [
            *roots(),
            folder("places", ""),
            folder("pinned", "places", "p"),
            bookmark("p", "pinned"),
            folder("stray", "places", "s"),
            bookmark("s", "stray"),
        ]
    )
    assert "places" not in built.tree.items and gid("stray") not in built.tree.items
    assert {"places", gid("stray")} <= built.tree.tombstones
    assert names(built.tree, "unfiled") == ["p", "s"]
    assert built.problems["nonSyncable"] == 3


def test_rule7_livemarks_are_kept_as_hidden_items():
    livemark = parse_record(
        {
            "id": gid("live"),
            "type": "livemark",
            "parentid": "menu",
            "title": "L",
            "feedUri": "https://l.example/feed",
        },
        modified=1.0,
    )
    built = build_remote_tree([*roots(menu=("live",)), livemark])
    assert built.tree.items[gid("live")].kind is Kind.LIVEMARK
    assert built.is_valid


def test_rule8_cycles_are_broken_by_moving_to_unfiled():
    built = build_remote_tree(
        [
            *roots(),
            folder("x", "y", "y"),
            folder("y", "x", "x"),
            bookmark("inside", "x"),
            folder("self", "self", "self"),
        ]
    )
    tree = built.tree
    reachable = {item.guid for root in USER_ROOTS for item in tree.walk(root)}
    assert reachable == set(tree.items)
    assert built.problems["cycles"] >= 2
    assert {gid("x"), gid("y"), gid("self")} <= {
        g for g in tree.items if g in reachable and g not in USER_ROOTS
    }


def test_rule9_invalid_guids_are_rekeyed_and_the_old_id_deleted():
    bad = parse_record(
        {
            "id": "short",
            "type": "bookmark",
            "parentid": "menu",
            "title": "B",
            "bmkUri": "https://b.example/",
        },
        modified=1.0,
    )
    built = build_remote_tree([*roots(), bad, folder("menu", "places")])
    fresh = built.rekeyed["short"]
    assert is_valid_guid(fresh) and fresh in built.tree.items
    assert "short" in built.tree.tombstones and "short" not in built.tree.items
    assert built.tree.items[fresh].title == "B"
    assert built.tree.items["menu"].children == [fresh]
    assert fresh in built.tree.diverged and "menu" in built.tree.diverged


def test_rule9_rekeyed_folder_keeps_its_children():
    bad = parse_record(
        {
            "id": "bad folder!!",
            "type": "folder",
            "parentid": "menu",
            "title": "F",
            "children": [gid("a")],
        },
        modified=1.0,
    )
    child = parse_record(
        {
            "id": gid("a"),
            "type": "bookmark",
            "parentid": "bad folder!!",
            "bmkUri": "https://a.example/",
        },
        modified=1.0,
    )
    menu = parse_record(
        {"id": "menu", "type": "folder", "parentid": "places", "children": ["bad folder!!"]},
        modified=1.0,
    )
    built = build_remote_tree([*roots(), menu, bad, child])
    fresh = built.rekeyed["bad folder!!"]
    assert built.tree.items["menu"].children == [fresh]
    assert built.tree.items[fresh].children == [gid("a")]
    assert built.tree.items[gid("a")].parent == fresh


def test_newest_record_per_id_wins():
    old = bookmark("a", "menu", at=1.0)
    new = tombstone("a")
    new.modified = 5.0
    built = build_remote_tree([*roots(menu=("a",)), old, new])
    assert gid("a") not in built.tree.items and gid("a") in built.tree.tombstones
    assert built.problems["deletedChildren"] == 1


def test_builder_does_not_mutate_the_records():
    record = folder("f", "menu", "ghost")
    build_remote_tree([*roots(menu=("f",)), record])
    assert record.item is not None and record.item.children == [gid("ghost")]
