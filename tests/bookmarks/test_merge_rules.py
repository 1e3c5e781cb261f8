"""Each rule of ``daemon.bookmarks.merge``, case by case (R1…R11 in the module's docs)."""

from __future__ import annotations

from dataclasses import replace

from daemon.bookmarks.merge import merge
from daemon.bookmarks.model import ROOT_TITLES, Item, Kind, Tree, Validity

from .test_merge_helpers import (
    bm,
    copy_tree,
    folder,
    livemark,
    query,
    sep,
    shape,
    tree,
    visible,
)

MENU_HIDDEN = frozenset({"menu"})


def sync(base: Tree, local: Tree, remote: Tree):
    return merge(base, local, remote, hidden_roots=MENU_HIDDEN)


def edit(t: Tree, guid: str, *, at: float, **values: object) -> Tree:
    """A copy of ``t`` with one item's values changed at time ``at``."""
    out = copy_tree(t)
    item = out.items[guid]
    for name, value in values.items():
        setattr(item, name, value)
    item.modified = at
    return out


def move(t: Tree, guid: str, to: str, *, index: int | None = None, at: float) -> Tree:
    out = copy_tree(t)
    item = out.items[guid]
    out.items[item.parent].children.remove(guid)
    dest = out.items[to].children
    dest.insert(len(dest) if index is None else index, guid)
    item.parent = to
    item.modified = out.items[to].modified = at
    return out


def delete(t: Tree, guid: str) -> Tree:
    out = copy_tree(t)
    for item in out.walk(guid):
        del out.items[item.guid]
    parent = out.items[t.items[guid].parent]
    parent.children.remove(guid)
    return out


def reorder(t: Tree, folder_guid: str, order: list[str], *, at: float) -> Tree:
    out = copy_tree(t)
    out.items[folder_guid].children = order
    out.items[folder_guid].modified = at
    return out


BASE = tree(
    toolbar=[bm("a"), folder("f", "F", bm("b"), bm("c")), bm("d")],
    unfiled=[folder("g", "G", bm("e"))],
)


# R1 -------------------------------------------------------------------------------------


def test_r1_local_change_beats_no_change():
    local = edit(visible(BASE), "a", title="Local", at=5)
    result = sync(BASE, local, BASE)
    assert result.tree.items["a"].title == "Local"


def test_r1_remote_change_beats_no_change_even_if_local_is_newer_elsewhere():
    local = edit(visible(BASE), "d", at=100)  # touched, but not changed
    remote = edit(BASE, "d", title="Remote", at=1)
    assert sync(BASE, local, remote).tree.items["d"].title == "Remote"


def test_r1_no_change_anywhere_is_a_no_op():
    result = sync(BASE, visible(BASE), BASE)
    assert shape(result.tree, "toolbar") == shape(BASE, "toolbar")
    assert result.deleted == set() and result.upload == set()
    assert result.stats.local_wins == 0 and result.stats.conflicts == 0


# R2 -------------------------------------------------------------------------------------


def test_r2_fields_changed_on_different_sides_are_both_kept():
    local = edit(visible(BASE), "a", title="Local title", at=10)
    remote = edit(BASE, "a", url="https://remote.example/", at=5)
    item = sync(BASE, local, remote).tree.items["a"]
    assert (item.title, item.url) == ("Local title", "https://remote.example/")


def test_r2_field_changed_on_both_sides_takes_newer_local():
    local = edit(visible(BASE), "a", title="Local", at=10)
    remote = edit(BASE, "a", title="Remote", at=5)
    result = sync(BASE, local, remote)
    assert result.tree.items["a"].title == "Local"
    assert result.stats.conflicts == 1


def test_r2_field_changed_on_both_sides_takes_newer_remote():
    local = edit(visible(BASE), "a", title="Local", at=5)
    remote = edit(BASE, "a", title="Remote", at=10)
    assert sync(BASE, local, remote).tree.items["a"].title == "Remote"


def test_r2_field_conflict_tie_goes_to_remote():
    local = edit(visible(BASE), "a", title="Local", at=7)
    remote = edit(BASE, "a", title="Remote", at=7)
    assert sync(BASE, local, remote).tree.items["a"].title == "Remote"


def test_r2_extra_fields_are_merged_as_a_unit_and_local_never_changes_them():
    base = tree(toolbar=[bm("a", tags=["x"], keyword="kw")])
    remote = edit(base, "a", extra={"tags": ["x", "y"], "keyword": "kw"}, at=5)
    local = edit(visible(base), "a", title="Local", at=10)  # the browser has no extras
    item = sync(base, local, remote).tree.items["a"]
    assert item.extra == {"tags": ["x", "y"], "keyword": "kw"}
    assert item.title == "Local"


def test_r2_extra_fields_survive_a_local_edit():
    base = tree(toolbar=[bm("a", tags=["x"], description="d")])
    local = edit(visible(base), "a", title="Local", at=10)
    item = sync(base, local, base).tree.items["a"]
    assert item.extra == {"tags": ["x"], "description": "d"}


def test_r2_bookmark_becomes_query_when_the_url_becomes_a_place_url():
    remote = edit(BASE, "a", url="place:sort=8", at=5)
    local = edit(visible(BASE), "a", title="Local", at=6)
    item = sync(BASE, local, remote).tree.items["a"]
    assert item.kind is Kind.QUERY and item.url == "place:sort=8" and item.title == "Local"


# R3 -------------------------------------------------------------------------------------


def test_r3_local_move_beats_no_move():
    local = move(visible(BASE), "a", "f", at=5)
    result = sync(BASE, local, BASE)
    assert shape(result.tree, "toolbar") == [("f", ["b", "c", "a"]), "d"]


def test_r3_remote_move_beats_no_move():
    remote = move(BASE, "e", "toolbar", index=0, at=5)
    result = sync(BASE, visible(BASE), remote)
    assert shape(result.tree, "toolbar")[0] == "e"
    assert shape(result.tree, "unfiled") == [("g", [])]


def test_r3_moves_on_both_sides_newer_local_wins():
    local = move(visible(BASE), "a", "f", at=10)
    remote = move(BASE, "a", "g", at=5)
    result = sync(BASE, local, remote)
    assert result.tree.items["a"].parent == "f"
    assert "a" in result.tree.items["f"].children
    assert "a" not in result.tree.items["g"].children


def test_r3_moves_on_both_sides_newer_remote_wins():
    local = move(visible(BASE), "a", "f", at=5)
    remote = move(BASE, "a", "g", at=10)
    result = sync(BASE, local, remote)
    assert result.tree.items["a"].parent == "g"
    assert "a" not in result.tree.items["f"].children


def test_r3_moves_on_both_sides_tie_goes_to_remote():
    local = move(visible(BASE), "a", "f", at=5)
    remote = move(BASE, "a", "g", at=5)
    assert sync(BASE, local, remote).tree.items["a"].parent == "g"


def test_r3_same_move_on_both_sides_is_no_conflict():
    local = move(visible(BASE), "a", "g", at=5)
    remote = move(BASE, "a", "g", at=9)
    result = sync(BASE, local, remote)
    assert shape(result.tree, "unfiled") == [("g", ["e", "a"])]
    assert result.stats.conflicts == 0


# R4 -------------------------------------------------------------------------------------


def test_r4_one_side_reordered_takes_its_order():
    local = reorder(visible(BASE), "f", ["c", "b"], at=5)
    assert shape(sync(BASE, local, BASE).tree, "f") == ["c", "b"]
    remote = reorder(BASE, "f", ["c", "b"], at=5)
    assert shape(sync(BASE, visible(BASE), remote).tree, "f") == ["c", "b"]


def test_r4_both_reordered_newer_order_first_then_other_additions():
    base = tree(toolbar=[folder("f", "F", bm("a"), bm("b"), bm("c"))])
    local = visible(base)
    local.items["f"].children = ["c", "b", "a"]
    local.items["f"].modified = 10
    remote = copy_tree(base)
    remote.items["n"] = Item("n", Kind.BOOKMARK, "f", "N", "https://n.example/", modified=5)
    remote.items["f"].children = ["b", "n", "a", "c"]
    remote.items["f"].modified = 5
    assert shape(sync(base, local, remote).tree, "f") == ["c", "b", "a", "n"]


def test_r4_both_reordered_remote_newer():
    base = tree(toolbar=[folder("f", "F", bm("a"), bm("b"), bm("c"))])
    local = reorder(visible(base), "f", ["c", "b", "a"], at=5)
    remote = reorder(base, "f", ["b", "a", "c"], at=10)
    assert shape(sync(base, local, remote).tree, "f") == ["b", "a", "c"]


def test_r4_additions_on_both_sides_are_all_kept_in_order():
    local = copy_tree(visible(BASE))
    for guid in ("l1", "l2"):
        local.items[guid] = Item(guid, Kind.BOOKMARK, "f", guid, f"https://{guid}.example/")
        local.items["f"].children.append(guid)
    local.items["f"].modified = 3
    remote = copy_tree(BASE)
    for guid in ("r1", "r2"):
        remote.items[guid] = Item(guid, Kind.BOOKMARK, "f", guid, f"https://{guid}.example/")
        remote.items["f"].children.insert(0, guid)
    remote.items["f"].modified = 4
    assert shape(sync(BASE, local, remote).tree, "f") == ["r2", "r1", "b", "c", "l1", "l2"]


# R5 -------------------------------------------------------------------------------------


def test_r5_deleted_locally_unchanged_remotely_is_deleted():
    result = sync(BASE, delete(visible(BASE), "a"), BASE)
    assert "a" not in result.tree.items and "a" in result.deleted
    assert shape(result.tree, "toolbar") == [("f", ["b", "c"]), "d"]


def test_r5_deleted_remotely_unchanged_locally_is_deleted():
    remote = delete(BASE, "a")
    remote.tombstones.add("a")
    result = sync(BASE, visible(BASE), remote)
    assert "a" not in result.tree.items and "a" in result.deleted


def test_r5_edited_locally_deleted_remotely_survives():
    local = edit(visible(BASE), "b", title="Edited", at=5)
    result = sync(BASE, local, delete(BASE, "b"))
    assert result.tree.items["b"].title == "Edited"
    assert shape(result.tree, "f") == ["b", "c"]
    assert result.stats.revived == 1


def test_r5_edited_remotely_deleted_locally_survives():
    remote = edit(BASE, "b", url="https://edited.example/", at=5)
    result = sync(BASE, delete(visible(BASE), "b"), remote)
    assert result.tree.items["b"].url == "https://edited.example/"


def test_r5_moved_remotely_deleted_locally_survives_where_it_moved():
    remote = move(BASE, "b", "g", at=5)
    result = sync(BASE, delete(visible(BASE), "b"), remote)
    assert shape(result.tree, "g") == ["e", "b"]


def test_r5_deleted_on_both_sides_is_deleted():
    result = sync(BASE, delete(visible(BASE), "a"), delete(BASE, "a"))
    assert "a" not in result.tree.items and "a" in result.deleted


def test_r5_deleted_folder_children_new_on_the_other_side_move_to_nearest_ancestor():
    remote = copy_tree(BASE)
    remote.items["n"] = Item("n", Kind.BOOKMARK, "f", "New", "https://n.example/", modified=5)
    remote.items["f"].children.append("n")
    result = sync(BASE, delete(visible(BASE), "f"), remote)
    assert "f" not in result.tree.items
    assert {"b", "c"} <= result.deleted
    assert shape(result.tree, "toolbar") == ["a", "d", "n"]


def test_r5_deleted_folder_children_edited_on_the_other_side_survive():
    local = edit(visible(BASE), "e", title="Edited", at=5)
    result = sync(BASE, local, delete(BASE, "g"))
    assert "g" not in result.tree.items
    assert shape(result.tree, "unfiled") == ["e"]


def test_r5_nested_deleted_folders_send_survivors_to_the_nearest_surviving_ancestor():
    base = tree(toolbar=[folder("f", "F", folder("h", "H", bm("x")))])
    local = edit(visible(base), "x", title="Edited", at=5)
    result = sync(base, local, delete(base, "f"))
    assert shape(result.tree, "toolbar") == ["x"]


def test_r5_retitled_folder_survives_a_delete_on_the_other_side():
    local = edit(visible(BASE), "f", title="Renamed", at=5)
    result = sync(BASE, local, delete(BASE, "f"))
    assert result.tree.items["f"].title == "Renamed"
    assert shape(result.tree, "f") == []  # its unchanged children were deleted remotely


# R6 -------------------------------------------------------------------------------------


def test_r6_roots_are_never_deleted_moved_or_retitled():
    local = visible(BASE)
    local.items["toolbar"].title = "Bookmarks bar"  # Chrome's own name
    remote = copy_tree(BASE)
    del remote.items["mobile"]
    remote.tombstones.add("mobile")
    result = sync(BASE, local, remote)
    for root, title in ROOT_TITLES.items():
        assert result.tree.items[root].title == title
        assert result.tree.items[root].parent == "places"
    assert "mobile" not in result.deleted


def test_r6_roots_exist_after_merging_empty_trees():
    result = merge(Tree(), Tree(), Tree())
    assert set(result.tree.items) == set(ROOT_TITLES)


# R7 -------------------------------------------------------------------------------------


def test_r7_first_sync_matches_identical_items_by_content():
    remote = tree(toolbar=[bm("R_a", "A", "https://a/"), folder("R_f", "F", bm("R_b", "B"))])
    local = tree(
        roots=("toolbar", "unfiled", "mobile"),
        toolbar=[bm("L_a", "A", "https://a/"), folder("L_f", "F", bm("L_b", "B"))],
    )
    local.items["L_b"].url = remote.items["R_b"].url
    result = sync(Tree(), local, remote)
    assert result.remapped == {"L_a": "R_a", "L_f": "R_f", "L_b": "R_b"}
    assert shape(result.tree, "toolbar") == ["R_a", ("R_f", ["R_b"])]
    assert result.stats.matched == 3


def test_r7_repeated_first_syncs_never_duplicate():
    server = tree(toolbar=[bm("R_a", "A", "https://a/")])
    for device in range(3):
        local = tree(toolbar=[bm(f"L{device}", "A", "https://a/")])
        server = sync(Tree(), visible(local), server).tree
    assert shape(server, "toolbar") == ["R_a"]


def test_r7_unmatched_new_items_are_unioned():
    remote = tree(toolbar=[bm("R_a", "A", "https://a/")])
    local = tree(toolbar=[bm("L_a", "A", "https://other/")])
    result = sync(Tree(), local, remote)
    assert result.remapped == {}
    assert sorted(shape(result.tree, "toolbar")) == ["L_a", "R_a"]


def test_r7_matches_only_within_the_same_parent():
    remote = tree(toolbar=[bm("R_a", "A", "https://a/")])
    local = tree(unfiled=[bm("L_a", "A", "https://a/")])
    result = sync(Tree(), local, remote)
    assert result.remapped == {}


def test_r7_several_equal_items_pair_in_order():
    remote = tree(toolbar=[bm("R1", "A", "https://a/"), bm("R2", "A", "https://a/")])
    local = tree(
        toolbar=[
            bm("L1", "A", "https://a/"),
            bm("L2", "A", "https://a/"),
            bm("L3", "A", "https://a/"),
        ]
    )
    result = sync(Tree(), local, remote)
    assert result.remapped == {"L1": "R1", "L2": "R2"}
    assert shape(result.tree, "toolbar") == ["R1", "R2", "L3"]


def test_r7_items_already_synced_are_never_matched():
    base = tree(toolbar=[bm("a", "A", "https://a/")])
    remote = tree(toolbar=[bm("a", "A", "https://a/"), bm("R_b", "A", "https://a/")])
    result = sync(base, visible(base), remote)
    assert result.remapped == {}
    assert shape(result.tree, "toolbar") == ["a", "R_b"]


def test_r7_first_sync_merges_never_wipes():
    remote = tree(toolbar=[bm("R_a")], menu=[bm("R_m")], unfiled=[sep("R_s")])
    local = tree(roots=("toolbar", "unfiled", "mobile"), toolbar=[bm("L_x")], mobile=[bm("L_y")])
    result = sync(Tree(), local, remote)
    assert set(result.tree.items) >= {"R_a", "R_m", "R_s", "L_x", "L_y"}
    assert result.deleted == set()


# R8 -------------------------------------------------------------------------------------

HIDDEN_BASE = tree(
    toolbar=[bm("a"), sep("s1"), bm("b"), query("q"), bm("c"), livemark("lm")],
    menu=[folder("mf", "MF", bm("m1"))],
)


def test_r8_hidden_items_are_not_deleted_because_the_browser_lacks_them():
    result = sync(HIDDEN_BASE, visible(HIDDEN_BASE, hidden_roots=MENU_HIDDEN), HIDDEN_BASE)
    assert set(result.tree.items) == set(HIDDEN_BASE.items)
    assert result.deleted == set()
    assert shape(result.tree, "toolbar") == ["a", "s1", "b", "q", "c", ("lm", [])]


def test_r8_hidden_siblings_keep_their_anchor_when_the_browser_reorders():
    local = reorder(
        visible(HIDDEN_BASE, hidden_roots=MENU_HIDDEN), "toolbar", ["c", "a", "b"], at=5
    )
    result = sync(HIDDEN_BASE, local, HIDDEN_BASE)
    assert shape(result.tree, "toolbar") == ["c", ("lm", []), "a", "s1", "b", "q"]


def test_r8_hidden_sibling_follows_an_earlier_anchor_when_its_own_is_deleted():
    local = delete(visible(HIDDEN_BASE, hidden_roots=MENU_HIDDEN), "a")
    local = reorder(local, "toolbar", ["c", "b"], at=5)
    result = sync(HIDDEN_BASE, local, HIDDEN_BASE)
    assert shape(result.tree, "toolbar") == ["s1", "c", ("lm", []), "b", "q"]


def test_r8_hidden_root_is_untouched_by_the_browser():
    remote = edit(HIDDEN_BASE, "m1", title="Remote", at=5)
    result = sync(HIDDEN_BASE, visible(HIDDEN_BASE, hidden_roots=MENU_HIDDEN), remote)
    assert result.tree.items["m1"].title == "Remote"
    assert shape(result.tree, "menu") == [("mf", ["m1"])]


def test_r8_local_items_under_a_hidden_root_are_ignored():
    local = visible(HIDDEN_BASE)  # menu included by mistake, and emptied
    local.items["mf"].children = []
    del local.items["m1"]
    result = sync(HIDDEN_BASE, local, HIDDEN_BASE)
    assert "m1" in result.tree.items


def test_r8_a_root_missing_locally_is_treated_as_hidden():
    base = tree(mobile=[bm("p")])
    local = visible(base)
    del local.items["mobile"]
    result = sync(base, local, base)
    assert shape(result.tree, "mobile") == ["p"]


def test_r8_hidden_remote_additions_survive_a_local_reorder():
    base = tree(toolbar=[bm("a"), bm("b")])
    remote = copy_tree(base)
    remote.items["s"] = Item("s", Kind.SEPARATOR, "toolbar", modified=3)
    remote.items["toolbar"].children = ["a", "s", "b"]
    local = reorder(visible(base), "toolbar", ["b", "a"], at=5)
    assert shape(sync(base, local, remote).tree, "toolbar") == ["b", "a", "s"]


def test_r8_first_sync_keeps_hidden_siblings_where_the_remote_has_them():
    remote = tree(toolbar=[bm("a"), query("q"), bm("b"), sep("s")])
    empty_browser = tree(roots=("toolbar", "unfiled", "mobile"), at={"toolbar": 5})
    result = sync(Tree(), empty_browser, remote)
    assert shape(result.tree, "toolbar") == ["a", "q", "b", "s"]
    browser = tree(roots=("toolbar", "unfiled", "mobile"), at={"toolbar": 5}, toolbar=[bm("x")])
    result = sync(Tree(), browser, remote)
    assert shape(result.tree, "toolbar") == ["x", "a", "q", "b", "s"]


def test_r8_hidden_content_goes_with_a_folder_the_browser_deleted():
    base = tree(toolbar=[folder("f", "F", bm("a"), sep("s"), query("q"))])
    remote = edit(base, "q", title="Changed remotely", at=5)
    result = sync(base, delete(visible(base), "f"), remote)
    assert {"f", "a", "s"} <= result.deleted
    assert shape(result.tree, "toolbar") == ["q"]  # changed on the other side: kept


# R9 -------------------------------------------------------------------------------------


def test_r9_folder_locally_bookmark_remotely_rekeys_the_local_folder():
    remote = tree(toolbar=[bm("x", "X remote")])
    local = tree(toolbar=[folder("x", "X local", bm("child"))])
    result = sync(Tree(), local, remote)
    fresh = result.remapped["x"]
    assert fresh != "x" and result.stats.rekeyed == 1
    assert result.tree.items["x"].kind is Kind.BOOKMARK
    assert result.tree.items[fresh].kind is Kind.FOLDER
    assert shape(result.tree, fresh) == ["child"]


def test_r9_remote_kind_change_never_crashes_and_keeps_local_content():
    base = tree(toolbar=[folder("x", "X", bm("child"))])
    remote = delete(base, "x")
    remote.items["x"] = Item("x", Kind.SEPARATOR, "toolbar", modified=5)
    remote.items["toolbar"].children.append("x")
    result = sync(base, visible(base), remote)
    fresh = result.remapped["x"]
    assert result.tree.items["x"].kind is Kind.SEPARATOR
    assert shape(result.tree, fresh) == ["child"]  # moved locally (with its folder): kept


# R10 ------------------------------------------------------------------------------------


def test_r10_invalid_remote_item_loses_to_the_local_copy():
    remote = copy_tree(BASE)
    remote.items["a"] = replace(remote.items["a"], url=None, validity=Validity.REPLACE)
    result = sync(BASE, visible(BASE), remote)
    assert result.tree.items["a"].url == BASE.items["a"].url
    assert "a" in result.upload


def test_r10_invalid_remote_item_without_local_copy_is_deleted():
    remote = copy_tree(BASE)
    remote.items["z"] = Item("z", Kind.BOOKMARK, "toolbar", "Z", None, validity=Validity.REPLACE)
    remote.items["toolbar"].children.append("z")
    result = sync(BASE, visible(BASE), remote)
    assert "z" not in result.tree.items and "z" in result.deleted
    assert "z" not in result.tree.items["toolbar"].children


def test_r10_reupload_and_diverged_items_are_uploaded():
    remote = copy_tree(BASE)
    remote.items["a"].validity = Validity.REUPLOAD
    remote.diverged = {"f"}
    result = sync(BASE, visible(BASE), remote)
    assert {"a", "f"} <= result.upload


# R11 ------------------------------------------------------------------------------------


def test_r11_concurrent_moves_into_each_other_do_not_make_a_cycle():
    base = tree(toolbar=[folder("x", "X"), folder("y", "Y")])
    local = move(visible(base), "x", "y", at=5)
    remote = move(base, "y", "x", at=6)
    result = sync(base, local, remote)
    reachable = {item.guid for root in ROOT_TITLES for item in result.tree.walk(root)}
    assert reachable == set(result.tree.items)
    assert result.tree.items["x"].parent != "y" or result.tree.items["y"].parent != "x"


def test_r2_browser_never_strips_extras_even_without_base():
    remote = tree(toolbar=[bm("a", "Remote", tags=["t"], keyword="k")])
    local = tree(toolbar=[bm("a", "Local", at=10)])  # same GUID, no base, newer
    item = sync(Tree(), visible(local), remote).tree.items["a"]
    assert item.title == "Local"
    assert item.extra == {"tags": ["t"], "keyword": "k"}


def test_r4_children_moved_up_from_a_deleted_folder_keep_their_order():
    base = tree(toolbar=[bm("a"), folder("f", "F", bm("x"), bm("y"), bm("z")), bm("d")])
    local = visible(base)
    for guid in ("x", "y", "z"):
        local = edit(local, guid, title=f"edited {guid}", at=5)
    result = sync(base, local, delete(base, "f"))
    assert shape(result.tree, "toolbar") == ["a", "d", "x", "y", "z"]


def test_r7_separators_match_by_position():
    remote = tree(toolbar=[bm("R_a", "A", "https://a/"), sep("R_s")])
    local = tree(toolbar=[bm("L_a", "A", "https://a/"), sep("L_s")])
    result = merge(Tree(), local, remote)
    assert result.remapped == {"L_a": "R_a", "L_s": "R_s"}


def test_r8_a_shown_menu_is_merged_like_any_root():
    base = tree(menu=[bm("m1"), sep("s"), bm("m2")])
    local = reorder(visible(base), "menu", ["m2", "m1"], at=5)
    result = merge(base, local, base)  # nothing hidden
    assert shape(result.tree, "menu") == ["m2", "m1", "s"]


def test_r11_cycle_breaker_prefers_the_other_sides_parent():
    base = tree(toolbar=[folder("x", "X"), folder("y", "Y")], unfiled=[folder("z", "Z")])
    local = move(visible(base), "x", "y", at=5)
    remote = move(move(base, "y", "x", at=6), "z", "x", at=6)
    result = sync(base, local, remote)
    assert_acyclic(result.tree)
    assert result.tree.items["y"].parent == "x"  # the newer move stands
    assert result.tree.items["x"].parent == "toolbar"  # the older one is undone


def assert_acyclic(t: Tree) -> None:
    reachable = {item.guid for root in ROOT_TITLES for item in t.walk(root)}
    assert reachable == set(t.items)
