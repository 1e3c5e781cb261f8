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

from .model import Tree
from .records import RemoteRecord


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
    raise NotImplementedError
