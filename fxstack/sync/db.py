"""Sync storage on SQLite: users, collections, BSOs and pending batches.

Timestamps are integers in hundredths of a second (the wire format has exactly two
decimals); ``format_ts`` turns them into the wire text. Every write happens in one
transaction and stamps everything it touches with one time, strictly greater than
the user's previous last-modified time.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user INTEGER PRIMARY KEY,
    modified INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS collections (
    user INTEGER NOT NULL,
    collection TEXT NOT NULL,
    modified INTEGER NOT NULL,
    PRIMARY KEY (user, collection)
);
CREATE TABLE IF NOT EXISTS bsos (
    user INTEGER NOT NULL,
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    sortindex INTEGER,
    payload TEXT NOT NULL,
    modified INTEGER NOT NULL,
    expiry INTEGER,
    PRIMARY KEY (user, collection, id)
);
CREATE INDEX IF NOT EXISTS bsos_modified ON bsos (user, collection, modified, id);
CREATE TABLE IF NOT EXISTS batches (
    batch INTEGER PRIMARY KEY AUTOINCREMENT,
    user INTEGER NOT NULL,
    collection TEXT NOT NULL,
    expiry INTEGER NOT NULL,
    records INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS batch_items (
    batch INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    fields TEXT NOT NULL,
    sortindex INTEGER,
    payload TEXT,
    ttl INTEGER,
    PRIMARY KEY (batch, seq)
);
"""

BATCH_LIFETIME_CS = 2 * 3600 * 100  # pending batches are forgotten after two hours


def format_ts(cs: int) -> str:
    """Hundredths of a second → the wire text, e.g. ``1388635807.41``."""
    return f"{cs // 100}.{cs % 100:02d}"


def now_cs() -> int:
    return int(time.time() * 100)


@dataclass
class Bso:
    id: str
    modified: int
    payload: str
    sortindex: int | None

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {
            "id": self.id,
            "modified": float(format_ts(self.modified)),
            "payload": self.payload,
        }
        if self.sortindex is not None:
            body["sortindex"] = self.sortindex
        return body


@dataclass
class Write:
    """One BSO write with partial-update semantics: absent fields keep stored values.

    ``fields`` names the fields the client sent; a field sent as ``None`` is reset.
    """

    id: str
    fields: frozenset[str]
    sortindex: int | None = None
    payload: str | None = None
    ttl: int | None = None


@dataclass(frozen=True)
class Query:
    ids: Sequence[str] | None = None
    newer: int | None = None
    older: int | None = None
    sort: str | None = None  # oldest | newest | index
    limit: int | None = None
    offset: int = 0


_ORDER = {
    "oldest": "modified ASC, id ASC",
    "newest": "modified DESC, id ASC",
    "index": "sortindex DESC, id ASC",
    None: "id ASC",
}


class StorageDB:
    def __init__(self, path: Path | None) -> None:
        self._db = sqlite3.connect(
            ":memory:" if path is None else str(path), check_same_thread=False
        )
        self._db.executescript(_SCHEMA)
        self._db.execute("PRAGMA journal_mode=WAL" if path else "PRAGMA journal_mode=MEMORY")
        self._db.execute("PRAGMA synchronous=OFF")

    def close(self) -> None:
        self._db.close()

    # -- timestamps ------------------------------------------------------------------

    def max_user(self) -> int:
        row = self._db.execute("SELECT COALESCE(MAX(user), 0) FROM users").fetchone()
        return int(row[0])

    def user_modified(self, user: int) -> int:
        row = self._db.execute("SELECT modified FROM users WHERE user = ?", (user,)).fetchone()
        return row[0] if row else 0

    def collection_modified(self, user: int, collection: str) -> int:
        row = self._db.execute(
            "SELECT modified FROM collections WHERE user = ? AND collection = ?",
            (user, collection),
        ).fetchone()
        return row[0] if row else 0

    def next_timestamp(self, user: int) -> int:
        """Now, or just after the user's last write if the clock has not moved on."""
        return max(now_cs(), self.user_modified(user) + 1)

    def _touch(self, user: int, collection: str | None, ts: int) -> None:
        self._db.execute(
            "INSERT INTO users (user, modified) VALUES (?, ?) "
            "ON CONFLICT (user) DO UPDATE SET modified = excluded.modified",
            (user, ts),
        )
        if collection is not None:
            self._db.execute(
                "INSERT INTO collections (user, collection, modified) VALUES (?, ?, ?) "
                "ON CONFLICT (user, collection) DO UPDATE SET modified = excluded.modified",
                (user, collection, ts),
            )

    # -- reads -----------------------------------------------------------------------

    def info_collections(self, user: int) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT collection, modified FROM collections WHERE user = ?", (user,)
        )
        return dict(rows.fetchall())

    def collection_counts(self, user: int) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT collection, COUNT(*) FROM bsos WHERE user = ? "
            "AND (expiry IS NULL OR expiry > ?) GROUP BY collection",
            (user, now_cs()),
        )
        return dict(rows.fetchall())

    def usage_bytes(self, user: int) -> int:
        row = self._db.execute(
            "SELECT COALESCE(SUM(LENGTH(payload)), 0) FROM bsos WHERE user = ?", (user,)
        ).fetchone()
        return int(row[0])

    def get_bso(self, user: int, collection: str, bso_id: str) -> Bso | None:
        row = self._db.execute(
            "SELECT id, modified, payload, sortindex FROM bsos WHERE user = ? "
            "AND collection = ? AND id = ? AND (expiry IS NULL OR expiry > ?)",
            (user, collection, bso_id, now_cs()),
        ).fetchone()
        return Bso(*row) if row else None

    def query(self, user: int, collection: str, query: Query) -> tuple[list[Bso], bool]:
        """The matching BSOs and whether more follow after ``limit``."""
        sql = [
            "SELECT id, modified, payload, sortindex FROM bsos WHERE user = ? AND collection = ?",
            "AND (expiry IS NULL OR expiry > ?)",
        ]
        params: list[object] = [user, collection, now_cs()]
        if query.ids is not None:
            sql.append(f"AND id IN ({','.join('?' * len(query.ids))})")
            params.extend(query.ids)
        if query.newer is not None:
            sql.append("AND modified > ?")
            params.append(query.newer)
        if query.older is not None:
            sql.append("AND modified < ?")
            params.append(query.older)
        sql.append(f"ORDER BY {_ORDER[query.sort]}")
        if query.limit is not None:
            sql.append("LIMIT ? OFFSET ?")
            params.extend([query.limit + 1, query.offset])
        elif query.offset:
            sql.append("LIMIT -1 OFFSET ?")
            params.append(query.offset)
        rows = [Bso(*row) for row in self._db.execute(" ".join(sql), params)]
        more = query.limit is not None and len(rows) > query.limit
        return (rows[: query.limit] if more else rows), more

    # -- writes ----------------------------------------------------------------------

    def _apply(self, user: int, collection: str, writes: Iterable[Write], ts: int) -> None:
        """Upsert BSOs with partial-update semantics, all stamped ``ts``."""
        cursor = self._db.cursor()
        new_rows = []
        for write in writes:
            existing = cursor.execute(
                "SELECT sortindex, payload, expiry FROM bsos WHERE user = ? AND "
                "collection = ? AND id = ? AND (expiry IS NULL OR expiry > ?)",
                (user, collection, write.id, ts),
            ).fetchone()
            sortindex, payload, expiry = existing if existing else (None, "", None)
            if "sortindex" in write.fields:
                sortindex = write.sortindex
            if "payload" in write.fields:
                payload = write.payload if write.payload is not None else ""
            if "ttl" in write.fields:
                expiry = None if write.ttl is None else ts + write.ttl * 100
            new_rows.append((user, collection, write.id, sortindex, payload, ts, expiry))
        cursor.executemany(
            "INSERT OR REPLACE INTO bsos (user, collection, id, sortindex, payload, modified, "
            "expiry) VALUES (?, ?, ?, ?, ?, ?, ?)",
            new_rows,
        )

    def write(self, user: int, collection: str, writes: Sequence[Write]) -> int:
        """Apply writes in one transaction; returns the new timestamp."""
        with self._db:
            ts = self.next_timestamp(user)
            self._apply(user, collection, writes, ts)
            self._touch(user, collection, ts)
        return ts

    def delete_bsos(self, user: int, collection: str, ids: Sequence[str]) -> tuple[int, int]:
        """Delete some BSOs; returns (new timestamp, how many existed)."""
        with self._db:
            ts = self.next_timestamp(user)
            deleted = self._db.executemany(
                "DELETE FROM bsos WHERE user = ? AND collection = ? AND id = ?",
                [(user, collection, bso_id) for bso_id in ids],
            ).rowcount
            self._touch(user, collection, ts)
        return ts, deleted

    def delete_collection(self, user: int, collection: str) -> int:
        with self._db:
            ts = self.next_timestamp(user)
            self._db.execute(
                "DELETE FROM bsos WHERE user = ? AND collection = ?", (user, collection)
            )
            self._db.execute(
                "DELETE FROM collections WHERE user = ? AND collection = ?", (user, collection)
            )
            self._touch(user, None, ts)
        return ts

    def delete_user(self, user: int) -> int:
        with self._db:
            ts = self.next_timestamp(user)
            for table in ("bsos", "collections"):
                self._db.execute(f"DELETE FROM {table} WHERE user = ?", (user,))  # noqa: S608
            self._touch(user, None, ts)
        return ts

    def set_payload(self, user: int, collection: str, bso_id: str, payload: str) -> bool:
        """Replace a stored payload without touching any timestamp (test faults)."""
        with self._db:
            changed = self._db.execute(
                "UPDATE bsos SET payload = ? WHERE user = ? AND collection = ? AND id = ?",
                (payload, user, collection, bso_id),
            ).rowcount
        return changed > 0

    # -- batches ---------------------------------------------------------------------

    def create_batch(self, user: int, collection: str) -> int:
        with self._db:
            cursor = self._db.execute(
                "INSERT INTO batches (user, collection, expiry) VALUES (?, ?, ?)",
                (user, collection, now_cs() + BATCH_LIFETIME_CS),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def batch_totals(self, user: int, collection: str, batch: int) -> tuple[int, int] | None:
        """(records, bytes) of a live batch of this user and collection, or None."""
        row = self._db.execute(
            "SELECT records, bytes FROM batches WHERE batch = ? AND user = ? "
            "AND collection = ? AND expiry > ?",
            (batch, user, collection, now_cs()),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def append_batch(self, batch: int, writes: Sequence[Write], payload_bytes: int) -> None:
        with self._db:
            row = self._db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM batch_items WHERE batch = ?", (batch,)
            ).fetchone()
            first = row[0] + 1
            self._db.executemany(
                "INSERT INTO batch_items (batch, seq, id, fields, sortindex, payload, ttl) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        batch,
                        first + n,
                        w.id,
                        ",".join(sorted(w.fields)),
                        w.sortindex,
                        w.payload,
                        w.ttl,
                    )
                    for n, w in enumerate(writes)
                ],
            )
            self._db.execute(
                "UPDATE batches SET records = records + ?, bytes = bytes + ? WHERE batch = ?",
                (len(writes), payload_bytes, batch),
            )

    def commit_batch(self, user: int, collection: str, batch: int) -> int:
        """Apply every item of the batch with one timestamp and forget the batch."""
        with self._db:
            rows = self._db.execute(
                "SELECT id, fields, sortindex, payload, ttl FROM batch_items WHERE batch = ? "
                "ORDER BY seq",
                (batch,),
            ).fetchall()
            writes = [
                Write(bso_id, frozenset(f for f in fields.split(",") if f), sortindex, payload, ttl)
                for bso_id, fields, sortindex, payload, ttl in rows
            ]
            ts = self.next_timestamp(user)
            self._apply(user, collection, writes, ts)
            self._touch(user, collection, ts)
            self._db.execute("DELETE FROM batch_items WHERE batch = ?", (batch,))
            self._db.execute("DELETE FROM batches WHERE batch = ?", (batch,))
        return ts
