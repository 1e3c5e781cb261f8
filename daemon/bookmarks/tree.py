"""Building the remote tree from the mirror's records, repairing it as Firefox does.

The server holds one record per item, and a tree's structure is written twice: each
folder lists its ``children`` and each item names its ``parentid``. Other clients get
this wrong in every possible way, so the builder resolves it by these rules (numbered
as in the tests):

1. The four user roots always hang under ``places``, whatever their records say
   (``misparentedRoots``). A missing root record is synthesised, empty.
2. An item listed in several folders' ``children`` goes to the folder with the newest
   ``modified`` (``multipleParents``).
3. A parent by ``children`` beats a parent by ``parentid`` (``parentChildDisagreements``);
   ``children`` also give the position.
4. An item in no ``children`` whose ``parentid`` names an existing folder is appended
   to that folder (``parentChildDisagreements``).
5. An orphan — its ``parentid`` missing, unknown, deleted or not a folder, and listed by
   no folder — goes to ``unfiled`` (``orphans``, ``missingParentGuids``,
   ``deletedParentGuids``, ``nonFolderParents``).
6. ``children`` entries that do not exist or are tombstones are skipped
   (``missingChildren``, ``deletedChildren``); a folder that lists a non-folder is
   treated as if it did not list it.
7. Non-syncable records are removed (recorded as tombstones, to be deleted on the
   server): the ``places``, ``pinned`` and ``readinglist`` records and anything
   directly under a non-root at the top (``nonSyncable``); their syncable descendants
   go to ``unfiled``. Livemarks are *kept* as items the browser cannot show: Firefox
   deletes them itself when it syncs, and foxbridge never destroys what it does not
   display.
8. Unlike Firefox, which aborts the sync, a cycle is broken by moving the item that
   closes it to ``unfiled`` (``cycles``), so a sync never fails on a bad tree.
9. A record with an invalid GUID is re-keyed: it gets a fresh GUID, and the old id is
   recorded as a tombstone so the server copy is deleted (``invalidGuids``).

Every item whose structure was repaired is put in ``Tree.diverged``: it (and the
folders whose ``children`` changed) must be uploaded again with the corrected
structure. Records that cannot be used at all are counted as ``invalidItems``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .model import (
    PLACES_ROOT,
    ROOT_TITLES,
    UNFILED,
    USER_ROOTS,
    Item,
    Kind,
    Tree,
    gc_paused,
    is_valid_guid,
    new_guid,
)
from .records import FORBIDDEN_IDS, RemoteRecord


@dataclass(slots=True)
class RemoteTree:
    """The repaired remote tree and what was wrong with the server's data."""

    tree: Tree
    problems: Counter[str] = field(default_factory=Counter)
    rekeyed: dict[str, str] = field(default_factory=dict)  # invalid GUID → fresh GUID

    @property
    def is_valid(self) -> bool:
        return not self.problems


def build_remote_tree(records: Iterable[RemoteRecord]) -> RemoteTree:
    """The remote ``Tree`` from the mirror's records (live ones and tombstones)."""
    with gc_paused():
        return _Builder(records).build()


class _Builder:
    def __init__(self, records: Iterable[RemoteRecord]) -> None:
        self.problems: Counter[str] = Counter()
        self.diverged: set[str] = set()
        self.rekeyed: dict[str, str] = {}
        self.live: dict[str, Item] = {}
        self.tombstones: set[str] = set()
        self.removed: set[str] = set()  # non-syncable: to be deleted on the server
        self._latest(records)

    def _latest(self, records: Iterable[RemoteRecord]) -> None:
        """Keep the newest record per id (a mirror has one, but be safe)."""
        newest: dict[str, RemoteRecord] = {}
        for record in records:
            seen = newest.get(record.guid)
            if seen is None or record.modified >= seen.modified:
                newest[record.guid] = record
        for guid, record in newest.items():
            if record.item is None:
                self.tombstones.add(guid)
            else:
                self.live[guid] = record.item.copy()  # the builder rewrites structure

    def build(self) -> RemoteTree:
        self._rekey_invalid_guids()
        self._remove_non_syncable()
        self._ensure_roots()
        parents = self._resolve_parents()
        self._assemble(parents)
        self._break_cycles()
        tree = Tree(
            items=self.live,
            tombstones=self.tombstones | self.removed | set(self.rekeyed),
            diverged={g for g in self.diverged if g in self.live},
        )
        return RemoteTree(tree=tree, problems=self.problems, rekeyed=self.rekeyed)

    # Rule 9
    def _rekey_invalid_guids(self) -> None:
        for guid in [g for g in self.live if not is_valid_guid(g) and g not in FORBIDDEN_IDS]:
            fresh = new_guid()
            self.rekeyed[guid] = fresh
            item = self.live.pop(guid)
            item.guid = fresh
            self.live[fresh] = item
            self.diverged.add(fresh)
            self.problems["invalidGuids"] += 1
        if not self.rekeyed:
            return
        for item in self.live.values():
            if item.parent in self.rekeyed:
                item.parent = self.rekeyed[item.parent]
                self.diverged.add(item.guid)
            if any(child in self.rekeyed for child in item.children):
                item.children = [self.rekeyed.get(child, child) for child in item.children]
                self.diverged.add(item.guid)

    # Rule 7
    def _remove_non_syncable(self) -> None:
        listed = {child for item in self.live.values() for child in item.children}
        for guid, item in list(self.live.items()):
            forbidden = guid in FORBIDDEN_IDS or (
                guid not in USER_ROOTS
                and (item.parent in FORBIDDEN_IDS or item.parent in ("pinned", "readinglist"))
                and guid not in listed
            )
            if forbidden:
                del self.live[guid]
                self.removed.add(guid)
                self.problems["nonSyncable"] += 1

    # Rule 1
    def _ensure_roots(self) -> None:
        for root in USER_ROOTS:
            item = self.live.get(root)
            if item is None:
                self.live[root] = Item(root, Kind.FOLDER, PLACES_ROOT, ROOT_TITLES[root])
                self.tombstones.discard(root)  # roots are never deleted
                continue
            if item.kind is not Kind.FOLDER:
                item.kind, item.url = Kind.FOLDER, None
                self.diverged.add(root)
                self.problems["invalidItems"] += 1
            if item.parent != PLACES_ROOT:
                item.parent = PLACES_ROOT
                self.diverged.add(root)
                self.problems["misparentedRoots"] += 1

    # Rules 2–6
    def _resolve_parents(self) -> dict[str, str]:
        claims: dict[str, list[str]] = {}
        for folder in self.live.values():
            if not folder.kind.is_folder:
                continue
            for child in folder.children:
                if child in self.tombstones or child in self.removed:
                    self.problems["deletedChildren"] += 1
                    self.diverged.add(folder.guid)
                elif child not in self.live:
                    self.problems["missingChildren"] += 1
                    self.diverged.add(folder.guid)
                elif child in USER_ROOTS or child == folder.guid:
                    self.problems["misparentedRoots" if child in USER_ROOTS else "cycles"] += 1
                    self.diverged.add(folder.guid)
                else:
                    claims.setdefault(child, []).append(folder.guid)

        parents: dict[str, str] = {}
        for guid, item in self.live.items():
            if guid in USER_ROOTS:
                continue
            claimants = claims.get(guid)
            if claimants:
                chosen = max(claimants, key=lambda g: (self.live[g].modified, g))
                if len(claimants) > 1:
                    self.problems["multipleParents"] += 1
                    self.diverged.update(claimants)
                if chosen != item.parent:
                    self.problems["parentChildDisagreements"] += 1
                    self.diverged.add(guid)
                parents[guid] = chosen
                continue
            parent = self.live.get(item.parent)
            if parent is not None and parent.kind.is_folder:
                self.problems["parentChildDisagreements"] += 1
                parents[guid] = item.parent
            else:
                self._count_orphan(item)
                parents[guid] = UNFILED
            self.diverged.update((guid, parents[guid]))
        return parents

    def _count_orphan(self, item: Item) -> None:
        self.problems["orphans"] += 1
        if item.parent in self.tombstones or item.parent in self.removed:
            self.problems["deletedParentGuids"] += 1
        elif item.parent in self.live:
            self.problems["nonFolderParents"] += 1
        elif item.parent:
            self.problems["missingParentGuids"] += 1

    def _assemble(self, parents: dict[str, str]) -> None:
        """Rebuild every folder's ``children`` from the resolved parents, order kept."""
        appended: dict[str, list[str]] = {}
        for guid, parent in parents.items():
            self.live[guid].parent = parent
            if guid not in self.live[parent].children:
                appended.setdefault(parent, []).append(guid)
        for folder in self.live.values():
            if not folder.kind.is_folder:
                if folder.children:
                    folder.children = []
                continue
            kept = [c for c in folder.children if parents.get(c) == folder.guid]
            kept.extend(appended.get(folder.guid, ()))
            if kept != folder.children:
                folder.children = kept
                self.diverged.add(folder.guid)

    # Rule 8
    def _break_cycles(self) -> None:
        reachable: set[str] = set()
        for root in USER_ROOTS:
            reachable.update(item.guid for item in self._walk(root))
        if len(reachable) == len(self.live):
            return
        for guid in sorted(self.live):
            if guid in reachable:
                continue
            # Walk up until the path repeats: the repeated item closes the cycle.
            path: set[str] = set()
            current = guid
            while current not in path and current not in reachable:
                path.add(current)
                current = self.live[current].parent
            if current in reachable:
                continue  # hangs below an item freed by an earlier break
            self._move(current, UNFILED)
            self.problems["cycles"] += 1
            reachable.update(item.guid for item in self._walk(current))

    def _move(self, guid: str, new_parent: str) -> None:
        item = self.live[guid]
        old = self.live[item.parent]
        old.children = [c for c in old.children if c != guid]
        self.live[new_parent].children.append(guid)
        item.parent = new_parent
        self.diverged.update((guid, old.guid, new_parent))

    def _walk(self, guid: str) -> list[Item]:
        out: list[Item] = []
        stack = [guid]
        while stack:
            item = self.live[stack.pop()]
            out.append(item)
            stack.extend(item.children)
        return out
