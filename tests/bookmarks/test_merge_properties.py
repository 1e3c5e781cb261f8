"""Property tests: replicas editing concurrently and syncing in random orders converge.

Each replica is a browser (only what it can show: bookmarks and folders, the menu root
hidden on some) plus its base. They share one server tree, seeded with what browsers
cannot show (separators, queries, a livemark, tags and keywords, the menu's contents).
Replicas make random edits — create, rename, change URL, move, reorder, delete,
delete a folder — and sync in random orders; a sync merges (base, browser, server),
stores the result on the server and as the new base, and shows it in the browser.
Meanwhile a Firefox peer writes to the server directly, seeing everything: it retitles,
tags, adds separators, moves and deletes.

After every replica syncs twice more: every browser shows exactly the server's visible
projection, no item that nobody deleted is gone, nothing is listed twice, and hidden
items and extras are as last written unless a folder holding them was deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.bookmarks.merge import merge
from daemon.bookmarks.model import MENU, USER_ROOTS, Item, Kind, Tree

from .test_merge_helpers import bm, copy_tree, folder, livemark, query, sep, tree, visible

TITLES = ("alpha", "beta", "gamma")
URLS = ("https://a.example/", "https://b.example/", "https://c.example/")

PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # the same examples on every run
    suppress_health_check=[HealthCheck.too_slow],
)


def seed_server() -> Tree:
    return tree(
        toolbar=[
            bm("seed1xxxxxxx", "Seed one", "https://seed1.example/", tags=["t"], keyword="k"),
            sep("sepAxxxxxxxx"),
            folder(
                "sfolderxxxxx",
                "Seed folder",
                bm("seed2xxxxxxx", "Seed two"),
                query("queryAxxxxxx"),
                bm("seed3xxxxxxx", "Seed three"),
            ),
        ],
        menu=[
            bm("menu1xxxxxxx", "Menu one"),
            sep("sepMxxxxxxxx"),
            folder("mfolderxxxxx", "Menu folder", bm("menu2xxxxxxx")),
        ],
        unfiled=[livemark("livexxxxxxxx"), bm("seed4xxxxxxx", "Seed four")],
    )


HIDDEN_SEEDS = ("sepAxxxxxxxx", "queryAxxxxxx", "sepMxxxxxxxx", "livexxxxxxxx")


@dataclass
class Replica:
    name: str
    hidden_roots: frozenset[str]
    browser: Tree
    base: Tree = field(default_factory=Tree)


@dataclass
class World:
    server: Tree
    replicas: list[Replica]
    clock: float = 1.0
    counter: int = 0
    created: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)  # deleted by some replica's edit
    excused: set[str] = field(default_factory=set)  # hidden items in a deleted folder
    alias: dict[str, str] = field(default_factory=dict)  # remapped GUID → new GUID
    # What the browsers cannot change and must come back as last written: the values of
    # hidden items, and the extras of every item.
    hidden_values: dict[str, Item] = field(default_factory=dict)
    extras: dict[str, dict[str, object]] = field(default_factory=dict)

    def tick(self) -> float:
        self.clock += 1.0
        return self.clock

    def fresh_guid(self, prefix: str) -> str:
        self.counter += 1
        guid = f"{prefix}{self.counter:0>{12 - len(prefix)}}"
        self.created.add(guid)
        return guid

    def canonical(self, guid: str) -> str:
        while guid in self.alias:
            guid = self.alias[guid]
        return guid

    def sync(self, replica: Replica) -> None:
        result = merge(
            replica.base, replica.browser, self.server, hidden_roots=replica.hidden_roots
        )
        now = self.tick()
        merged = copy_tree(result.tree)
        for guid, item in merged.items.items():
            old = self.server.items.get(guid)
            item.modified = old.modified if old is not None and _same(item, old) else now
        merged.tombstones = set(self.server.tombstones) | result.deleted
        self.alias.update(result.remapped)
        self.server = merged
        replica.base = copy_tree(merged)
        replica.browser = visible(merged, hidden_roots=replica.hidden_roots)
        for item in replica.browser.items.values():
            item.modified = 0.0


def _same(a: Item, b: Item) -> bool:
    return (a.kind, a.title, a.url, a.parent, a.children, a.extra) == (
        b.kind,
        b.title,
        b.url,
        b.parent,
        b.children,
        b.extra,
    )


# -- edits ---------------------------------------------------------------------------------


def folders_of(t: Tree) -> list[str]:
    return sorted(g for g, i in t.items.items() if i.kind is Kind.FOLDER)


def movable(t: Tree) -> list[str]:
    return sorted(g for g in t.items if g not in USER_ROOTS)


def edit(world: World, replica: Replica, data: st.DataObject) -> None:
    t = replica.browser
    now = world.tick()
    op = data.draw(
        st.sampled_from(("create", "folder", "rename", "url", "move", "reorder", "delete"))
    )
    items = movable(t)
    if op in ("create", "folder") or not items:
        parent = data.draw(st.sampled_from(folders_of(t)))
        kind = Kind.FOLDER if op == "folder" else Kind.BOOKMARK
        guid = world.fresh_guid("F" if kind is Kind.FOLDER else "B")
        url = None if kind is Kind.FOLDER else data.draw(st.sampled_from(URLS))
        item = Item(guid, kind, parent, data.draw(st.sampled_from(TITLES)), url, modified=now)
        siblings = t.items[parent].children
        siblings.insert(data.draw(st.integers(0, len(siblings))), guid)
        t.items[parent].modified = now
        t.add(item)
        return
    guid = data.draw(st.sampled_from(items))
    item = t.items[guid]
    if op == "rename":
        item.title = data.draw(st.sampled_from(TITLES))
        item.modified = now
    elif op == "url" and item.kind is Kind.BOOKMARK:
        item.url = data.draw(st.sampled_from(URLS))
        item.modified = now
    elif op == "move":
        inside = {i.guid for i in t.walk(guid)}
        targets = [f for f in folders_of(t) if f not in inside]
        target = data.draw(st.sampled_from(targets))
        t.items[item.parent].children.remove(guid)
        t.items[item.parent].modified = now
        siblings = t.items[target].children
        siblings.insert(data.draw(st.integers(0, len(siblings))), guid)
        item.parent = target
        item.modified = t.items[target].modified = now
    elif op == "reorder":
        parent = t.items[item.parent]
        parent.children = data.draw(st.permutations(parent.children))
        parent.modified = now
    elif op == "delete":
        doomed = {i.guid for i in t.walk(guid)}
        world.deleted |= doomed
        # Hidden items inside anything deleted go with it (as the base knew them).
        for gone in doomed:
            world.excused |= {i.guid for i in replica.base.walk(gone)} - doomed
        t.items[item.parent].children.remove(guid)
        t.items[item.parent].modified = now
        for g in doomed:
            del t.items[g]


def peer_edit(world: World, data: st.DataObject) -> None:
    """Another client (Firefox) writes to the server: it sees and edits everything."""
    t = world.server
    now = world.tick()
    op = data.draw(st.sampled_from(("retitle", "tag", "separator", "move", "delete")))
    items = movable(t)
    folders = sorted(g for g, i in t.items.items() if i.kind is Kind.FOLDER)
    if op == "separator" or not items:
        parent = data.draw(st.sampled_from(folders))
        guid = world.fresh_guid("S")
        t.add(Item(guid, Kind.SEPARATOR, parent, modified=now))
        siblings = t.items[parent].children
        siblings.insert(data.draw(st.integers(0, len(siblings))), guid)
        t.items[parent].modified = now
        world.hidden_values[guid] = replace(t.items[guid])
        return
    guid = data.draw(st.sampled_from(items))
    item = t.items[guid]
    if op == "retitle" and item.kind is not Kind.SEPARATOR:
        item.title = data.draw(st.sampled_from(TITLES))
        item.modified = now
    elif op == "tag" and item.kind is Kind.BOOKMARK:
        item.extra = {**item.extra, "tags": [data.draw(st.sampled_from(TITLES))]}
        item.modified = now
        world.extras[guid] = dict(item.extra)
    elif op == "move":
        inside = {i.guid for i in t.walk(guid)}
        target = data.draw(st.sampled_from([f for f in folders if f not in inside]))
        t.items[item.parent].children.remove(guid)
        t.items[item.parent].modified = now
        siblings = t.items[target].children
        siblings.insert(data.draw(st.integers(0, len(siblings))), guid)
        item.parent = target
        item.modified = t.items[target].modified = now
    elif op == "delete":
        doomed = {i.guid for i in t.walk(guid)}
        world.deleted |= doomed
        t.items[item.parent].children.remove(guid)
        t.items[item.parent].modified = now
        for g in doomed:
            del t.items[g]
        t.tombstones |= doomed
    if guid in world.hidden_values and guid in t.items:
        world.hidden_values[guid] = replace(t.items[guid])


# -- the properties ------------------------------------------------------------------------


def check_tree_is_sound(t: Tree) -> None:
    listed: dict[str, str] = {}
    for guid, item in t.items.items():
        for child in item.children:
            assert child not in listed, f"{child} listed twice"
            listed[child] = guid
            assert t.items[child].parent == guid
    assert set(listed) == set(t.items) - set(USER_ROOTS), "an item is in no folder"
    for root in USER_ROOTS:
        assert t.items[root].parent == "places"


def shown(t: Tree) -> dict[str, tuple[object, ...]]:
    return {g: (i.kind, i.title, i.url, i.parent, tuple(i.children)) for g, i in t.items.items()}


def check_converged(world: World) -> None:
    server = world.server
    check_tree_is_sound(server)
    for replica in world.replicas:
        assert shown(replica.browser) == shown(visible(server, hidden_roots=replica.hidden_roots))
    gone = {world.canonical(g) for g in world.deleted | world.excused}
    survivors = {world.canonical(g) for g in world.created} - gone
    assert survivors <= set(server.items), "an item nobody deleted is gone"
    for guid, value in world.hidden_values.items():
        if guid in gone:
            continue
        assert guid in server.items, f"hidden {guid} lost"
        assert server.items[guid].same_value(value), f"hidden {guid} changed"
    for guid, extra in world.extras.items():
        if guid in server.items and guid not in gone:  # a revived item has its base extras
            assert server.items[guid].extra == extra, f"the extras of {guid} changed"


def make_world(data: st.DataObject, count: int) -> World:
    seed = seed_server()
    replicas: list[Replica] = []
    world = World(server=copy_tree(seed), replicas=replicas)
    world.created |= set(seed.items) - set(USER_ROOTS)
    world.hidden_values = {g: replace(seed.items[g]) for g in HIDDEN_SEEDS}
    world.extras = {g: dict(i.extra) for g, i in seed.items.items() if i.extra}
    for index in range(count):
        hidden = frozenset({MENU}) if index % 2 == 0 else frozenset()
        browser = tree(roots=[r for r in USER_ROOTS if r not in hidden])
        # Some replicas already hold copies of the server's bookmarks (new GUIDs).
        if data.draw(st.booleans()):
            copy = replace(seed.items["seed1xxxxxxx"], guid=world.fresh_guid("C"), extra={})
            browser.add(copy)
            browser.items["toolbar"].children.append(copy.guid)
        own = world.fresh_guid("O")
        browser.add(Item(own, Kind.BOOKMARK, "unfiled", f"own {index}", URLS[0]))
        browser.items["unfiled"].children.append(own)
        replicas.append(Replica(f"r{index}", hidden, browser))
    return world


@PROPERTY_SETTINGS
@given(st.data(), st.integers(2, 3))
def test_replicas_converge_and_nothing_is_lost(data, count):
    world = make_world(data, count)
    for replica in world.replicas:  # every device's first sync
        world.sync(replica)
    seed_titles = [i.title for i in world.server.items.values() if i.title == "Seed one"]
    assert len(seed_titles) == 1, "a first sync duplicated a bookmark"

    for _ in range(data.draw(st.integers(1, 12))):
        replica = data.draw(st.sampled_from(world.replicas))
        action = data.draw(st.integers(0, 4))
        if action == 0:
            world.sync(replica)
        elif action == 1:
            peer_edit(world, data)
        else:
            edit(world, replica, data)
    for _ in range(2):
        for replica in world.replicas:
            world.sync(replica)
    check_converged(world)


@PROPERTY_SETTINGS
@given(st.data())
def test_a_sync_with_no_changes_changes_nothing(data):
    world = make_world(data, 2)
    for replica in world.replicas:
        world.sync(replica)
    for _ in range(data.draw(st.integers(0, 6))):
        edit(world, data.draw(st.sampled_from(world.replicas)), data)
    for replica in world.replicas:
        world.sync(replica)
        world.sync(replica)
    before = shown(world.server)
    for replica in world.replicas:
        result = merge(
            replica.base, replica.browser, world.server, hidden_roots=replica.hidden_roots
        )
        assert shown(result.tree) == before
        assert not result.deleted - world.server.tombstones
        assert result.remapped == {}
