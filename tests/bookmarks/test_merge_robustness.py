"""The merge never crashes and always returns a sound tree, whatever it is given.

Inputs here are deliberately broken: the remote tree comes from arbitrary records
(through the tree builder, as in a real sync), and the base and local trees are random
graphs with dangling references, items listed twice, kind clashes and cycles.
"""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.bookmarks.merge import merge
from daemon.bookmarks.model import MENU, PLACES_ROOT, USER_ROOTS, Item, Kind, Tree
from daemon.bookmarks.records import RecordError, parse_record
from daemon.bookmarks.tree import build_remote_tree

GUIDS = [f"item{n:08d}" for n in range(8)]
REFS = st.sampled_from([*GUIDS, *USER_ROOTS, PLACES_ROOT, "missing00000", ""])
KINDS = st.sampled_from(list(Kind))


@st.composite
def messy_tree(draw: st.DrawFn) -> Tree:
    t = Tree()
    for guid in draw(st.lists(st.sampled_from([*GUIDS, *USER_ROOTS]), unique=True)):
        kind = Kind.FOLDER if guid in USER_ROOTS else draw(KINDS)
        t.add(
            Item(
                guid,
                kind,
                PLACES_ROOT if guid in USER_ROOTS else draw(REFS),
                draw(st.sampled_from(["", "a", "b"])),
                draw(st.sampled_from([None, "https://a/", "place:x"])),
                draw(st.lists(REFS, max_size=4)),
                modified=draw(st.floats(0, 10)),
            )
        )
    t.tombstones = set(draw(st.lists(st.sampled_from(GUIDS), max_size=2)))
    return t


@st.composite
def messy_records(draw: st.DrawFn) -> Tree:
    records = []
    for guid in draw(st.lists(st.sampled_from([*GUIDS, *USER_ROOTS, "pinned"]), unique=True)):
        cleartext = draw(
            st.fixed_dictionaries(
                {"id": st.just(guid)},
                optional={
                    "type": st.sampled_from([k.value for k in Kind] + ["item"]),
                    "parentid": REFS,
                    "children": st.lists(REFS, max_size=4),
                    "title": st.sampled_from(["", "a", 3]),
                    "bmkUri": st.sampled_from(["https://a/", "bad", "place:x"]),
                    "deleted": st.booleans(),
                    "dateAdded": st.sampled_from([1, "2", None, -1]),
                },
            )
        )
        with contextlib.suppress(RecordError):
            records.append(parse_record(cleartext, modified=draw(st.floats(0, 10))))
    return build_remote_tree(records).tree


def assert_sound(t: Tree) -> None:
    assert set(USER_ROOTS) <= set(t.items)
    listed: dict[str, str] = {}
    for guid, item in t.items.items():
        if item.children:
            assert item.kind.is_folder
        for child in item.children:
            assert child not in listed, f"{child} listed twice"
            listed[child] = guid
            assert t.items[child].parent == guid
    assert set(listed) == set(t.items) - set(USER_ROOTS)
    reachable: set[str] = set()
    stack = list(USER_ROOTS)
    while stack:
        guid = stack.pop()
        assert guid not in reachable, "a cycle"
        reachable.add(guid)
        stack.extend(t.items[guid].children)
    assert reachable == set(t.items), "a detached item"


@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(messy_tree(), messy_tree(), messy_records(), st.booleans())
def test_merge_of_broken_inputs_is_sound(base, local, remote, hide_menu):
    hidden = frozenset({MENU}) if hide_menu else frozenset()
    result = merge(base, local, remote, hidden_roots=hidden)
    assert_sound(result.tree)
    assert not (result.deleted & set(result.tree.items))
    assert set(result.upload) <= set(result.tree.items)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(messy_records())
def test_remote_tree_from_broken_records_is_sound(remote):
    assert_sound(remote)
