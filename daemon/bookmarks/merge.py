"""The three-way bookmark merge.

``merge(base, local, remote)`` combines:

- ``base``: the merged tree both sides agreed on at the end of the last sync (empty on
  a profile's first sync);
- ``local``: the browser's tree projected onto Sync GUIDs. It holds only what the browser
  can show (bookmarks and folders, under no hidden root); it carries no ``extra``.
  ``local.tombstones`` may name items the browser is known to have deleted;
- ``remote``: the repaired server tree (``daemon.bookmarks.tree``).

An item "changed on a side" when it differs from ``base``; ``Item.modified`` (seconds)
says how recent each side's copy is. Rules are documented and numbered below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Tree


@dataclass(slots=True)
class MergeStats:
    items: int = 0  # live items in the merged tree
    local_wins: int = 0  # items whose value or place came from the local side
    remote_wins: int = 0  # items whose value or place came from the remote side
    conflicts: int = 0  # fields or moves changed on both sides, settled by recency
    matched: int = 0  # new local items matched to new remote items by content
    deleted: int = 0
    revived: int = 0  # deleted on one side but kept because the other side changed them
    rekeyed: int = 0  # local items given a fresh GUID (kind clash with the remote item)


@dataclass(slots=True)
class MergeResult:
    """The merge's outcome.

    - ``tree``: the complete merged tree (items the browser cannot show included), with
      local GUIDs already replaced by their remaps.
    - ``remapped``: local GUID → GUID it takes (a content match's remote GUID, or a fresh
      one when the local item clashed in kind with the remote item of the same GUID).
    - ``deleted``: every GUID that must not exist after this sync (tombstone it on the
      server if it is live there, remove it from the browser if it is there).
    - ``upload``: GUIDs whose record must be uploaded even if equal to the remote copy
      (repaired structure, records rewritten for validity, replaced invalid records).
    """

    tree: Tree
    remapped: dict[str, str] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    upload: set[str] = field(default_factory=set)
    stats: MergeStats = field(default_factory=MergeStats)


def merge(
    base: Tree, local: Tree, remote: Tree, *, hidden_roots: frozenset[str] = frozenset()
) -> MergeResult:
    """Merge the local and remote trees against their common ``base``.

    ``hidden_roots`` are user roots the browser does not show (e.g. ``menu``): the local
    side has no opinion about anything under them.
    """
    raise NotImplementedError
