"""The bookmark engine's state on disk: one SQLite database, one row set per browser profile.

Per profile it keeps

- the **mirror**: the last cleartext of every server record (tombstones too) with its
  server ``modified`` time, the collection's last-modified time the mirror is current
  to, and the engine's sync ids it belongs to;
- the **base**: the tree both sides agreed on at the end of the last sync;
- the **id map**: browser node id ↔ Sync GUID;
- the last sync's outcome, for ``foxbridge status``.

A sync ends with ``commit_sync``: base, mirror changes, id map and outcome in one
transaction, so a crash leaves the state of before or after the sync, never half. New
id-map entries are also saved on their own as soon as the browser reports them
(``add_ids``), so nodes created by an interrupted sync are not created twice.

The base is one JSON document per profile (loaded and saved whole, which is faster
than one row per item); mirror records are rows, so a sync only writes what changed.
"""

from __future__ import annotations

import contextlib
import gc
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from daemon.errors import FoxbridgeError
from daemon.paths import Paths

from .model import Item, Kind, Tree

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS profiles (
    profile_id TEXT PRIMARY KEY,
    server TEXT,                -- JSON: the engine ids synced against, and when meta/global
                                -- and crypto/keys last changed (see ServerSetup)
    last_modified REAL,         -- the collection's last-modified the mirror is current to
    synced_modified REAL,       -- …and the one at the end of the last sync (the base's)
    base TEXT,                  -- JSON: the base tree's items
    last_sync TEXT              -- JSON: the last sync's outcome
);
CREATE TABLE IF NOT EXISTS mirror (
    profile_id TEXT NOT NULL,
    guid TEXT NOT NULL,
    modified REAL NOT NULL,
    cleartext TEXT NOT NULL,    -- JSON: the decrypted record (tombstones too)
    PRIMARY KEY (profile_id, guid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS id_map (
    profile_id TEXT NOT NULL,
    browser_id TEXT NOT NULL,
    guid TEXT NOT NULL,
    PRIMARY KEY (profile_id, browser_id)
) WITHOUT ROWID;
"""


@contextlib.contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many long-lived objects.

    Loading 100,000 records creates millions of containers; CPython 3.11 would run full
    collections over them again and again (five times slower). Nothing made here is
    garbage, and collection resumes afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# One encoder for every mirror record (``json.dumps`` with options builds one per call).
_RECORD_ENCODER = json.JSONEncoder(ensure_ascii=False)


class StateError(FoxbridgeError):
    """The state database cannot be used."""


@dataclass(frozen=True, slots=True)
class MirrorRecord:
    modified: float
    cleartext: dict[str, Any] = field(repr=False)

    @property
    def deleted(self) -> bool:
        return self.cleartext.get("deleted") is True


@dataclass(frozen=True)
class ServerSetup:
    """Which generation of the server's bookmark data the mirror belongs to.

    ``engine_ids`` are meta/global's global and bookmarks sync ids and the fingerprint of
    crypto/keys; when any differs the mirror and base are forgotten. ``meta_modified`` and
    ``crypto_modified`` let a sync skip fetching those records when info/collections
    shows they have not changed.
    """

    engine_ids: tuple[str, ...]
    meta_modified: float | None = None
    crypto_modified: float | None = None

    def to_json(self) -> str:
        return json.dumps([list(self.engine_ids), self.meta_modified, self.crypto_modified])

    @classmethod
    def from_json(cls, text: str) -> ServerSetup:
        ids, meta_modified, crypto_modified = json.loads(text)
        return cls(tuple(ids), meta_modified, crypto_modified)


@dataclass
class ProfileState:
    """What a sync starts from (the mirror is loaded separately: it is only needed when
    something changed)."""

    profile_id: str
    server: ServerSetup | None = None
    last_modified: float | None = None
    # The collection's last-modified when the base was committed. When it equals
    # ``last_modified`` the server holds exactly the base; a prefetch moves the mirror on.
    synced_modified: float | None = None
    base: Tree = field(default_factory=Tree)
    id_map: dict[str, str] = field(default_factory=dict)  # browser id → GUID
    last_sync: dict[str, Any] | None = None

    @property
    def is_first_sync(self) -> bool:
        return self.last_modified is None


class StateStore:
    """The state database. Open it with ``StateStore.open(paths)`` and close it after use."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, where: Paths | Path) -> StateStore:
        """Open ``paths.state_db`` (or the database file given)."""
        return cls.open_file(where.state_db if isinstance(where, Paths) else where)

    @classmethod
    def open_file(cls, path: Path) -> StateStore:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            path.touch(mode=0o600, exist_ok=True)
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA busy_timeout=10000")
            connection.executescript(_SCHEMA)
            connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error as error:
            raise StateError(f"Cannot open foxbridge's state database {path}: {error}") from None
        return cls(connection, path)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- reading -----------------------------------------------------------------------

    def load(self, profile_id: str, *, whole: bool = True) -> ProfileState:
        """The profile's state; without ``whole``, only its positions and server set-up
        (no base, no id map: enough to tell whether anything changed on the server)."""
        with bulk_allocation():
            return self._load(profile_id, whole)

    def _load(self, profile_id: str, whole: bool) -> ProfileState:
        state = ProfileState(profile_id)
        base_column = "base" if whole else "NULL"
        row = self._db.execute(
            f"SELECT server, last_modified, synced_modified, {base_column}, last_sync "  # noqa: S608
            "FROM profiles WHERE profile_id=?",
            (profile_id,),
        ).fetchone()
        if row is not None:
            server, state.last_modified, state.synced_modified, base, last_sync = row
            try:
                state.server = ServerSetup.from_json(server) if server else None
                state.last_sync = json.loads(last_sync) if last_sync else None
            except (ValueError, TypeError) as error:
                raise StateError(f"foxbridge's saved sync state is damaged ({error}).") from None
            state.base = tree_from_json(base) if base else Tree()
        if not whole:
            return state
        state.id_map = dict(
            self._db.execute(
                "SELECT browser_id, guid FROM id_map WHERE profile_id=?", (profile_id,)
            ).fetchall()
        )
        return state

    def load_mirror(self, profile_id: str) -> dict[str, MirrorRecord]:
        loads = json.loads
        with bulk_allocation():
            return {
                guid: MirrorRecord(modified, loads(cleartext))
                for guid, modified, cleartext in self._db.execute(
                    "SELECT guid, modified, cleartext FROM mirror WHERE profile_id=?",
                    (profile_id,),
                )
            }

    # -- writing -----------------------------------------------------------------------

    def add_ids(self, profile_id: str, entries: Mapping[str, str]) -> None:
        """Save new browser id → GUID entries at once (before anything is uploaded)."""
        if not entries:
            return
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO id_map (profile_id, browser_id, guid) VALUES (?, ?, ?)",
                [(profile_id, browser_id, guid) for browser_id, guid in entries.items()],
            )

    def reset(self, profile_id: str) -> None:
        """Forget the mirror and the base: the next sync is a first sync (a merge, never a
        wipe). The id map stays: it still says which browser node is which item."""
        with self._transaction() as db:
            db.execute("DELETE FROM mirror WHERE profile_id=?", (profile_id,))
            db.execute(
                "UPDATE profiles SET server=NULL, last_modified=NULL, synced_modified=NULL, "
                "base=NULL WHERE profile_id=?",
                (profile_id,),
            )

    def commit_sync(
        self,
        profile_id: str,
        *,
        server: ServerSetup,
        last_modified: float,
        base: Tree,
        mirror_changes: Iterable[tuple[str, float, Mapping[str, Any]]],
        id_map: Mapping[str, str],
        outcome: Mapping[str, Any],
    ) -> None:
        """Everything a successful sync learnt, in one transaction.

        ``mirror_changes`` are (guid, server modified, cleartext) of downloaded and
        uploaded records; ``id_map`` replaces the profile's map.
        """
        dumps = json.dumps
        encode = _RECORD_ENCODER.encode
        # A generator, not a list: 100,000 records' JSON is not held at once.
        rows = (
            (profile_id, guid, modified, encode(cleartext))
            for guid, modified, cleartext in mirror_changes
        )
        with bulk_allocation():
            base_json = tree_to_json(base)
        with self._transaction() as db, bulk_allocation():
            db.execute(
                "INSERT INTO profiles "
                "(profile_id, server, last_modified, synced_modified, base, last_sync) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (profile_id) DO UPDATE SET "
                "server=excluded.server, last_modified=excluded.last_modified, "
                "synced_modified=excluded.synced_modified, "
                "base=excluded.base, last_sync=excluded.last_sync",
                (
                    profile_id,
                    server.to_json(),
                    last_modified,
                    last_modified,
                    base_json,
                    dumps(outcome),
                ),
            )
            db.executemany(
                "INSERT OR REPLACE INTO mirror (profile_id, guid, modified, cleartext) "
                "VALUES (?, ?, ?, ?)",
                rows,
            )
            self._replace_id_map(db, profile_id, id_map)

    def _replace_id_map(
        self, db: sqlite3.Connection, profile_id: str, id_map: Mapping[str, str]
    ) -> None:
        current = dict(
            db.execute(
                "SELECT browser_id, guid FROM id_map WHERE profile_id=?", (profile_id,)
            ).fetchall()
        )
        if current == id_map:
            return
        gone = [(profile_id, browser_id) for browser_id in current if browser_id not in id_map]
        db.executemany("DELETE FROM id_map WHERE profile_id=? AND browser_id=?", gone)
        db.executemany(
            "INSERT OR REPLACE INTO id_map (profile_id, browser_id, guid) VALUES (?, ?, ?)",
            [
                (profile_id, browser_id, guid)
                for browser_id, guid in id_map.items()
                if current.get(browser_id) != guid
            ],
        )

    def save_prefetched(
        self,
        profile_id: str,
        records: Iterable[tuple[str, float, Mapping[str, Any]]],
        last_modified: float,
    ) -> None:
        """Records downloaded between syncs: the mirror moves on, the base stays."""
        rows = [
            (profile_id, guid, modified, json.dumps(cleartext, ensure_ascii=False))
            for guid, modified, cleartext in records
        ]
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO mirror (profile_id, guid, modified, cleartext) "
                "VALUES (?, ?, ?, ?)",
                rows,
            )
            db.execute(
                "UPDATE profiles SET last_modified=? WHERE profile_id=?",
                (last_modified, profile_id),
            )

    def positions(self) -> dict[str, tuple[ServerSetup, float]]:
        """Per synced profile: the server set-up and the last-modified its mirror is at
        (cheap: no base, no mirror)."""
        out: dict[str, tuple[ServerSetup, float]] = {}
        for profile_id, server, last_modified in self._db.execute(
            "SELECT profile_id, server, last_modified FROM profiles "
            "WHERE server IS NOT NULL AND last_modified IS NOT NULL"
        ):
            with contextlib.suppress(ValueError, TypeError):
                out[profile_id] = (ServerSetup.from_json(server), last_modified)
        return out

    def save_server(self, profile_id: str, server: ServerSetup) -> None:
        """Update the server set-up stamps of a profile whose ids did not change."""
        with self._transaction() as db:
            db.execute(
                "UPDATE profiles SET server=? WHERE profile_id=?", (server.to_json(), profile_id)
            )

    def record_outcome(self, profile_id: str, outcome: Mapping[str, Any]) -> None:
        """Remember a sync that did not complete (its error), leaving the state as it was."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO profiles (profile_id, last_sync) VALUES (?, ?) "
                "ON CONFLICT (profile_id) DO UPDATE SET last_sync=excluded.last_sync",
                (profile_id, json.dumps(outcome)),
            )

    def last_outcomes(self) -> dict[str, dict[str, Any]]:
        return {
            profile_id: json.loads(last_sync)
            for profile_id, last_sync in self._db.execute(
                "SELECT profile_id, last_sync FROM profiles WHERE last_sync IS NOT NULL"
            )
        }


Store = StateStore  # the short name the daemon uses


def read_last_sync(paths: Paths) -> dict[str, Any] | None:
    """The most recent sync outcome of any profile (for ``foxbridge status``), or None."""
    if not paths.state_db.exists():
        return None
    try:
        with StateStore.open(paths) as store:
            outcomes = store.last_outcomes()
    except (StateError, sqlite3.Error, ValueError):
        return None
    if not outcomes:
        return None
    profile_id, outcome = max(outcomes.items(), key=lambda entry: entry[1].get("at", 0))
    return {**outcome, "profile": profile_id}


def outcome(ok: bool, summary: str, **details: Any) -> dict[str, Any]:
    """A last-sync record: ``{"at": ms, "ok": …, "summary": …}`` as the status object has it."""
    return {"at": int(time.time() * 1000), "ok": ok, "summary": summary, **details}


# -- the base tree as JSON ------------------------------------------------------------------

# One compact array per item: [guid, kind, parent, title, url, children, dateAdded, modified,
# extra]. Much faster to load than an object per item.


def tree_to_json(tree: Tree) -> str:
    rows = [
        [
            item.guid,
            item.kind.value,
            item.parent,
            item.title,
            item.url,
            item.children,
            item.date_added,
            item.modified,
            item.extra or None,
        ]
        for item in tree.items.values()
    ]
    return json.dumps({"items": rows, "tombstones": sorted(tree.tombstones)}, ensure_ascii=False)


def tree_from_json(text: str) -> Tree:
    try:
        data = json.loads(text)
        kinds = {kind.value: kind for kind in Kind}
        items = {
            row[0]: Item(
                guid=row[0],
                kind=kinds[row[1]],
                parent=row[2],
                title=row[3],
                url=row[4],
                children=row[5],
                date_added=row[6],
                modified=row[7],
                extra=row[8] or {},
            )
            for row in data["items"]
        }
        return Tree(items=items, tombstones=set(data["tombstones"]))
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise StateError(f"foxbridge's saved bookmark state is damaged ({error}).") from None
