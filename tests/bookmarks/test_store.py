"""The engine's SQLite state: per-profile rows, one transaction per sync, fast."""

from __future__ import annotations

import stat
import time

import pytest

from daemon.bookmarks.model import PLACES_ROOT, TOOLBAR, Item, Kind, Tree
from daemon.bookmarks.store import ServerSetup, StateStore, outcome, read_last_sync
from daemon.paths import default_paths

SETUP = ServerSetup(("global", "engine", "keys"), 1.0, 2.0)


def sample_tree(count: int = 3) -> Tree:
    tree = Tree()
    tree.add(Item(TOOLBAR, Kind.FOLDER, PLACES_ROOT, "toolbar"))
    for n in range(count):
        guid = f"bm{n:010d}"
        tree.add(
            Item(guid, Kind.BOOKMARK, TOOLBAR, f"B{n}", f"https://b{n}/", extra={"tags": ["x"]})
        )
        tree.items[TOOLBAR].children.append(guid)
    return tree


def commit(store: StateStore, profile: str = "p1", **changes):
    arguments = dict(
        server=SETUP,
        last_modified=10.0,
        base=sample_tree(),
        mirror_changes=[("bm0000000000", 9.0, {"id": "bm0000000000", "type": "bookmark"})],
        id_map={"5": "bm0000000000"},
        outcome=outcome(True, "ok"),
    )
    arguments.update(changes)
    store.commit_sync(profile, **arguments)


def test_a_sync_round_trips(tmp_path):
    with StateStore.open_file(tmp_path / "state.sqlite") as store:
        assert store.load("p1").is_first_sync
        commit(store)
        state = store.load("p1")
    assert state.server == SETUP and state.last_modified == 10.0
    assert state.base.items == sample_tree().items
    assert state.id_map == {"5": "bm0000000000"}
    assert not state.is_first_sync
    with StateStore.open_file(tmp_path / "state.sqlite") as store:
        mirror = store.load_mirror("p1")
        assert mirror["bm0000000000"].modified == 9.0
        assert store.load("p2").is_first_sync  # profiles are separate


def test_a_failed_commit_changes_nothing(tmp_path):
    with StateStore.open_file(tmp_path / "state.sqlite") as store:
        commit(store)

        def bad_rows():
            yield ("bm0000000001", 11.0, {"id": "bm0000000001"})
            raise RuntimeError("killed half-way")

        with pytest.raises(RuntimeError):
            commit(store, last_modified=20.0, mirror_changes=bad_rows(), id_map={"6": "x"})
        state = store.load("p1")
        assert state.last_modified == 10.0 and state.id_map == {"5": "bm0000000000"}
        assert set(store.load_mirror("p1")) == {"bm0000000000"}


def test_reset_forgets_mirror_and_base_but_keeps_the_id_map(tmp_path):
    with StateStore.open_file(tmp_path / "state.sqlite") as store:
        commit(store)
        store.reset("p1")
        state = store.load("p1")
        assert state.is_first_sync and state.server is None and not state.base.items
        assert store.load_mirror("p1") == {}
        assert state.id_map == {"5": "bm0000000000"}


def test_id_map_entries_are_saved_at_once_and_replaced_on_commit(tmp_path):
    with StateStore.open_file(tmp_path / "state.sqlite") as store:
        store.add_ids("p1", {"7": "bm0000000007"})
        assert store.load("p1").id_map == {"7": "bm0000000007"}
        commit(store, id_map={"8": "bm0000000008"})
        assert store.load("p1").id_map == {"8": "bm0000000008"}


def test_last_sync_for_status(foxbridge_home):
    paths = default_paths()
    assert read_last_sync(paths) is None
    paths.ensure()
    with StateStore.open(paths) as store:
        commit(store, outcome={"at": 1, "ok": True, "summary": "old"})
        store.record_outcome("p2", {"at": 2, "ok": False, "summary": "offline"})
    last = read_last_sync(paths)
    assert last == {"at": 2, "ok": False, "summary": "offline", "profile": "p2"}
    assert stat.S_IMODE(paths.state_db.stat().st_mode) == 0o600


def test_damaged_state_is_a_clear_error(tmp_path):
    from daemon.bookmarks.store import StateError

    with StateStore.open_file(tmp_path / "state.sqlite") as store:
        commit(store)
        store._db.execute("UPDATE profiles SET base='{not json'")
        with pytest.raises(StateError):
            store.load("p1")


def test_hundred_thousand_records_load_and_save_in_about_a_second(tmp_path):
    tree = sample_tree(100_000)
    rows = [
        (
            f"bm{n:010d}",
            1.0,
            {
                "id": f"bm{n:010d}",
                "type": "bookmark",
                "title": f"B{n}",
                "bmkUri": f"https://b{n}/",
                "parentid": "toolbar",
            },
        )
        for n in range(100_000)
    ]
    with StateStore.open_file(tmp_path / "state.sqlite") as store:
        started = time.perf_counter()
        commit(
            store,
            base=tree,
            mirror_changes=rows,
            id_map={str(n): f"bm{n:010d}" for n in range(100_000)},
        )
        saved = time.perf_counter() - started
        started = time.perf_counter()
        state = store.load("p1")
        mirror = store.load_mirror("p1")
        loaded = time.perf_counter() - started
    assert len(state.base) == 100_001 and len(mirror) == 100_000
    print(f"100k: save {saved:.2f}s, load {loaded:.2f}s")
    assert saved < 10 and loaded < 10  # generous bound for a loaded CI machine; figures printed
