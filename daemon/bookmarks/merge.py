"""The three-way bookmark merge.

``merge(base, local, remote)`` combines:

- ``base``: the merged tree both sides agreed on at the end of the last sync (empty on
  a profile's first sync);
- ``local``: the browser's tree projected onto Sync GUIDs. It holds only what the browser
  can show (bookmarks and folders, under no hidden root) and carries no ``extra``;
  ``local.tombstones`` may name items the browser is known to have deleted;
- ``remote``: the repaired server tree (``daemon.bookmarks.tree``).

An item *changed on a side* when that side's copy differs from ``base`` (an item not in
``base`` counts as changed on every side that has it). ``Item.modified`` (seconds) says
how recent each side's copy is. The rules, each tested by a test named after it:

R1  One-sided change. A change on one side beats no change on the other.
R2  Per-field values. ``title``, ``url`` and ``extra`` (as one unit) are merged field by
    field: a field changed on one side only takes that side's value, so a local title
    edit and a remote URL edit are both kept; a field changed on both sides takes the
    newer side's value, ties going to remote. The browser knows no ``extra``, so the
    local side never changes it. A bookmark becomes a query (and back) when the merged
    URL becomes (or stops being) a ``place:`` URL.
R3  Moves. A move on one side beats none; moves on both sides to different folders go
    to the newer side (the recency of a move is the newer of the item's and its new
    parent's ``modified``), ties to remote.
R4  Children order. If one side reordered (or added to, or removed from) a folder, its
    order is taken; if both did, the newer folder's order comes first, then the other
    side's additions in their order. A child the winning order lacks but the other side
    still lists (revived) goes back after its old neighbour; children that arrive
    otherwise (moved up from a deleted folder) are appended in tree order.
R5  Deletions. Deleted on one side and unchanged (value and parent) on the other →
    deleted. Edited or moved on one side and deleted on the other → kept (revived).
    Deleted on both → deleted. A deleted folder's surviving children (edited or new on
    the other side) move to its nearest surviving ancestor: nothing vanishes that no
    side deleted.
R6  Roots. The four roots always exist, under ``places``; they are never deleted, moved
    or retitled (the remote title, else the Firefox default, is kept).
R7  Content matching. Items new on both sides (not in ``base``) are matched by content
    within the same parent — bookmark/query by title and URL, folder by title (then
    their children, recursively), separator by position — in order; the local item
    takes the remote GUID (``remapped``). Repeated first syncs therefore never
    duplicate anything. Unmatched new items of both sides are all kept.
R8  Hidden items. What the browser cannot show — separators, queries, livemarks,
    ``extra`` fields, anything under a root in ``hidden_roots`` (or a root the local
    tree lacks) — is never deleted or changed because the local side lacks it: the
    local side has no opinion about it. It keeps its place among its siblings: when the
    browser reorders the visible children of a folder, each hidden child stays right
    after the visible sibling it followed (at the start if none). The exception is a
    folder the browser deleted: hidden content the remote did not change goes with it.
R9  Kind clashes. When one GUID is, say, a folder locally and a bookmark remotely, the
    remote item keeps the GUID and the local item is given a fresh GUID and merged as a
    new local item (``remapped``; never a crash, nothing lost). Bookmark ↔ query is not
    a clash (R2).
R10 Invalid remote records. A remote item whose validity is ``REPLACE`` loses to the
    local (or, for what the browser cannot show, the base) copy, which is uploaded;
    without one it is deleted. Remote items rewritten for validity (``REUPLOAD``) or
    with a repaired structure (``Tree.diverged``) are uploaded even if unchanged.
R11 Cycles. Concurrent moves that would make a cycle are undone for the item closing
    it: it goes to the first of its local, remote and base parents that makes no cycle,
    else to ``unfiled``.

Where this differs from Firefox's (two-way) merger: values are settled per field, not
per item; a folder edited on one side and deleted on the other survives (Firefox keeps
it deleted); cycles are broken rather than aborting the sync; livemarks are kept.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import TypeVar

from .model import (
    PLACES_ROOT,
    ROOT_TITLES,
    UNFILED,
    USER_ROOTS,
    Item,
    Kind,
    Tree,
    Validity,
    gc_paused,
    new_guid,
)

_T = TypeVar("_T")


@dataclass(slots=True)
class MergeStats:
    items: int = 0  # live items in the merged tree
    local_wins: int = 0  # items taking a value or their place from the local side
    remote_wins: int = 0  # items taking a value or their place from the remote side
    conflicts: int = 0  # fields or moves changed on both sides, settled by recency
    matched: int = 0  # new local items matched to new remote items by content
    deleted: int = 0
    revived: int = 0  # deleted on one side but kept because the other side changed them
    rekeyed: int = 0  # local items given a fresh GUID (kind clash with the remote item)


@dataclass(slots=True)
class MergeResult:
    """The merge's outcome.

    - ``tree``: the complete merged tree (items the browser cannot show included), with
      local GUIDs already replaced by their remaps; ``tree.tombstones`` = ``deleted``.
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
    side has no opinion about anything under them (R8).
    """
    with gc_paused():
        return _Merger(base, local, remote, hidden_roots).run()


class _Opinion(Enum):
    PRESENT = auto()
    DELETED = auto()
    NONE = auto()  # the side cannot see the item: as in base (or absent if new)


_BOOKMARKISH = frozenset({Kind.BOOKMARK, Kind.QUERY})
_FOLDERS = frozenset(kind for kind in Kind if kind.is_folder)
_SHOWN = frozenset(kind for kind in Kind if kind.shown_in_chrome)


def _compatible(a: Kind, b: Kind) -> bool:
    return a == b or (a in _BOOKMARKISH and b in _BOOKMARKISH)


def _placed(item: Item, guid: str, parent: str, children: list[str]) -> Item:
    """A copy of ``item`` under another GUID, parent or children (a fast ``replace``)."""
    return Item(
        guid, item.kind, parent, item.title, item.url, children, item.date_added,
        item.modified, item.extra, item.validity,
    )  # fmt: skip


def _earliest(local: int, remote: int, base: Item | None) -> int:
    """The earliest known ``date_added`` (0 = unknown)."""
    earliest = remote
    if local > 0 and (earliest <= 0 or local < earliest):
        earliest = local
    if base is not None and base.date_added > 0 and (earliest <= 0 or base.date_added < earliest):
        earliest = base.date_added
    return earliest


def _content_key(item: Item, position: int) -> tuple[object, ...] | None:
    """What two new items must share to be the same item (R7)."""
    if item.kind in (Kind.BOOKMARK, Kind.QUERY):
        return ("bookmark", item.title, item.url)
    if item.kind is Kind.FOLDER:
        return ("folder", item.title)
    if item.kind is Kind.SEPARATOR:
        return ("separator", position)
    return None  # livemarks are never matched


class _Merger:
    def __init__(self, base: Tree, local: Tree, remote: Tree, hidden_roots: frozenset[str]):
        self.base = base.items
        self.remote = remote.items
        self.remote_tree = remote
        self.local_tombstones = set(local.tombstones)
        self.stats = MergeStats()
        self.remapped: dict[str, str] = {}
        # R8: a root the local tree lacks is as good as hidden.
        self.hidden_roots = frozenset(hidden_roots) | {
            r for r in USER_ROOTS if r not in local.items
        }
        self.local = self._visible_local(local.items)
        self._positions: dict[str, int] | None = None
        # (local view, remote view) of the items that took the slow path; the others' are
        # simply their local and remote items.
        self._views: dict[str, tuple[Item | None, Item | None]] = {}
        self._base_visible: set[str] = set()
        self._local_won: set[str] = set()  # items taking a value or place from local
        self._remote_won: set[str] = set()  # … from remote

    # ----------------------------------------------------------------- preparation

    def _visible_local(self, items: dict[str, Item]) -> dict[str, Item]:
        """The local items under visible roots (the caller's objects, or corrected copies).

        The browser's tree is sound, but nothing here relies on it: an item is taken once,
        under the first folder listing it, and only folders keep children.
        """
        out: dict[str, Item] = {}
        claimed: set[str] = set(USER_ROOTS)
        for root in USER_ROOTS:
            if root in self.hidden_roots or root not in items:
                continue
            stack = [(root, PLACES_ROOT)]
            while stack:
                guid, parent = stack.pop()
                item = items.get(guid)
                if item is None or guid in out:
                    continue
                children: list[str] = []
                if item.kind in _FOLDERS:
                    for child in item.children:
                        if child in items and child not in claimed:
                            claimed.add(child)
                            children.append(child)
                if item.parent != parent or len(children) != len(item.children):
                    # The folder listing it is its parent, whatever the item says.
                    item = _placed(item, item.guid, parent, children)
                out[guid] = item  # shared with the caller: never mutated here
                stack.extend((c, guid) for c in children)
        return out

    def _rekey_kind_clashes(self) -> set[str]:
        """R9: give clashing local items fresh GUIDs; their old GUID defers to remote."""
        clashes = [
            guid
            for guid, item in self.local.items()
            if guid not in USER_ROOTS
            and guid in self.remote
            and not _compatible(item.kind, self.remote[guid].kind)
        ]
        self._rename_local({guid: new_guid() for guid in clashes})
        self.stats.rekeyed = len(clashes)
        return set(clashes)

    def _rename_local(self, renames: dict[str, str]) -> None:
        """Give local items new GUIDs, in one pass (parents and children follow)."""
        if not renames:
            return
        renamed: dict[str, Item] = {}
        for guid, item in self.local.items():
            new = renames.get(guid, guid)
            parent = renames.get(item.parent, item.parent)
            children = item.children
            if children and not renames.keys().isdisjoint(children):
                children = [renames.get(child, child) for child in children]
            if new != guid or parent != item.parent or children is not item.children:
                item = _placed(item, new, parent, children)
            renamed[new] = item
        self.local = renamed
        self.remapped.update(renames)

    def _match_new_items(self) -> None:
        """R7: pair items new on both sides by content, folder by folder."""
        local_new = {g for g in self.local if g not in self.base and g not in self.remote}
        remote_new = {g for g in self.remote if g not in self.base and g not in self.local}
        if not local_new or not remote_new:
            return
        pairs: deque[tuple[str, str]] = deque(
            (g, g) for g, item in self.local.items() if item.kind in _FOLDERS and g in self.remote
        )
        matches: dict[str, str] = {}
        while pairs:
            local_folder, remote_folder = pairs.popleft()
            remote_children = self.remote[remote_folder].children
            candidates: dict[tuple[object, ...], deque[str]] = {}
            for position, guid in enumerate(remote_children):
                if guid in remote_new:
                    key = _content_key(self.remote[guid], position)
                    if key is not None:
                        candidates.setdefault(key, deque()).append(guid)
            if not candidates:
                continue
            for position, guid in enumerate(self.local[local_folder].children):
                if guid not in local_new or guid in matches:
                    continue
                key = _content_key(self.local[guid], position)
                queue = candidates.get(key) if key is not None else None
                if not queue:
                    continue
                remote_guid = queue.popleft()
                remote_new.discard(remote_guid)
                matches[guid] = remote_guid
                if self.local[guid].kind in _FOLDERS:
                    pairs.append((guid, remote_guid))
        self._rename_local(matches)
        self.stats.matched = len(matches)

    # ------------------------------------------------------------------- visibility

    def _base_visibility(self) -> tuple[set[str], set[str]]:
        """Base items the browser could see, and hidden ones inside a folder it deleted."""
        visible: set[str] = set()
        doomed: set[str] = set()
        walked: set[str] = set()  # a sound base never repeats an item; a damaged one might
        for root in USER_ROOTS:
            if root in self.hidden_roots or root not in self.base:
                continue
            stack: list[tuple[str, bool, bool]] = [(root, True, False)]
            while stack:
                guid, shown, in_deleted = stack.pop()
                item = self.base.get(guid)
                if item is None or guid in walked:
                    continue
                walked.add(guid)
                shown = shown and item.kind in _SHOWN
                if shown:
                    visible.add(guid)
                    if guid not in self.local and guid not in USER_ROOTS:
                        in_deleted = True
                elif in_deleted:
                    doomed.add(guid)
                stack.extend((c, shown, in_deleted) for c in item.children)
        return visible, doomed

    # ------------------------------------------------------------------------- run

    def run(self) -> MergeResult:
        defer_to_remote = self._rekey_kind_clashes()
        self._match_new_items()
        base_visible, doomed = self._base_visibility()
        self._base_visible = base_visible
        self.local_tombstones = {self.remapped.get(g, g) for g in self.local_tombstones}

        order = self._all_guids()
        merged: dict[str, Item] = {}
        parents: dict[str, str] = {}
        settled: list[str] = []  # same value and parent on both sides: parent known
        unsettled: list[str] = []
        upload: set[str] = set()
        gone: set[str] = set()
        local, remote = self.local, self.remote
        for guid in order:
            lview = local.get(guid)
            rview = remote.get(guid)
            if (
                lview is not None
                and rview is not None
                and lview.title == rview.title
                and lview.url == rview.url
                and lview.kind is rview.kind
                and rview.validity is Validity.VALID
                and guid not in defer_to_remote
                and guid not in USER_ROOTS
            ):
                # The common case: the same value on both sides (the browser's extras
                # are always base's, so the remote's win). Nothing to settle.
                if lview.parent == rview.parent:
                    parents[guid] = rview.parent
                    settled.append(guid)
                else:
                    unsettled.append(guid)
                merged[guid] = Item(
                    guid, rview.kind, "", rview.title, rview.url, [],
                    _earliest(lview.date_added, rview.date_added, self.base.get(guid)),
                    max(lview.modified, rview.modified),
                    dict(rview.extra) if rview.extra else {},
                )  # fmt: skip
                continue
            from_browser = lview is not None and guid not in defer_to_remote
            if not from_browser:
                lview = self._local_view(guid, base_visible, doomed, defer_to_remote)
            self._views[guid] = (lview, rview)
            item = self._merge_item(guid, lview, rview, upload, from_browser=from_browser)
            if item is None:
                gone.add(guid)
            else:
                merged[guid] = item
                unsettled.append(guid)

        for guid in settled:  # R5: the parent may be gone
            parent = merged.get(parents[guid])
            if parent is None or parent.kind not in _FOLDERS:
                parents[guid] = self._surviving_folder(parents[guid], merged)
        for guid in unsettled:
            parents[guid] = self._merge_parent(guid, *self._views_of(guid), merged)
        self._break_cycles(parents)
        self._assemble(merged, parents)

        deleted = (gone | self.remote_tree.tombstones | self.local_tombstones) - merged.keys()
        upload |= self.remote_tree.diverged
        upload &= merged.keys()
        self.stats.local_wins = len(self._local_won)
        self.stats.remote_wins = len(self._remote_won)
        self.stats.items = len(merged)
        self.stats.deleted = len(gone)
        return MergeResult(
            tree=Tree(items=merged, tombstones=deleted),
            remapped=self.remapped,
            deleted=deleted,
            upload=upload,
            stats=self.stats,
        )

    def _all_guids(self) -> list[str]:
        """Every GUID any side knows: the roots first, then remote, local and base items."""
        seen = dict.fromkeys(USER_ROOTS)
        for items in (self.remote, self.local, self.base):
            seen.update(dict.fromkeys(items))
        return list(seen)

    def _tree_positions(self) -> dict[str, int]:
        """Each GUID's rank in a walk of the remote, then local, then base tree."""
        if self._positions is None:
            seen: dict[str, None] = {}
            for items in (self.remote, self.local, self.base):
                visited: set[str] = set()
                for root in USER_ROOTS:
                    stack = [root]
                    while stack:
                        guid = stack.pop()
                        item = items.get(guid)
                        if item is None or guid in visited:
                            continue
                        visited.add(guid)
                        seen[guid] = None
                        stack.extend(reversed(item.children))
            self._positions = {guid: rank for rank, guid in enumerate(seen)}
        return self._positions

    # --------------------------------------------------------------- per-item views

    def _local_view(
        self, guid: str, base_visible: set[str], doomed: set[str], defer: set[str]
    ) -> Item | None:
        """The local copy, the base copy where the browser has no opinion, or None."""
        opinion, item = self._local_opinion(guid, base_visible, doomed, defer)
        if opinion is _Opinion.PRESENT:
            return item
        if opinion is _Opinion.NONE:
            return self.base.get(guid)
        return None

    def _local_opinion(
        self, guid: str, base_visible: set[str], doomed: set[str], defer: set[str]
    ) -> tuple[_Opinion, Item | None]:
        if guid in defer:
            remote = self.remote.get(guid)
            return (_Opinion.PRESENT, remote) if remote else (_Opinion.NONE, None)
        item = self.local.get(guid)
        if item is not None:
            return _Opinion.PRESENT, item
        if guid in USER_ROOTS:
            return _Opinion.NONE, None
        if guid in self.local_tombstones or guid in base_visible or guid in doomed:
            return _Opinion.DELETED, None
        return _Opinion.NONE, None

    def _changed(self, item: Item, *, local_side: bool) -> bool:
        """Whether a side's copy differs from base in value or parent."""
        base = self.base.get(item.guid)
        if base is None:
            return True
        if item.parent != base.parent or item.title != base.title or item.url != base.url:
            return True
        if not _compatible(item.kind, base.kind):
            return True
        return not local_side and item.extra != base.extra

    # ---------------------------------------------------------------------- values

    def _merge_item(
        self,
        guid: str,
        lview: Item | None,
        rview: Item | None,
        upload: set[str],
        *,
        from_browser: bool,
    ) -> Item | None:
        base = self.base.get(guid)
        if guid in USER_ROOTS:  # R6
            title = rview.title if rview else ROOT_TITLES[guid]
            extra = dict(rview.extra) if rview else dict(base.extra) if base else {}
            dates = [i.date_added for i in (lview, rview, base) if i and i.date_added > 0]
            modified = max((i.modified for i in (lview, rview) if i), default=0.0)
            if rview is None or rview.validity is not Validity.VALID:
                upload.add(guid)
            return Item(
                guid,
                Kind.FOLDER,
                PLACES_ROOT,
                title,
                None,
                [],
                min(dates, default=0),
                modified,
                extra,
            )

        if rview is not None and rview.validity is Validity.REPLACE:  # R10
            upload.add(guid)
            if lview is None or lview.validity is Validity.REPLACE:
                return None
            return self._copy(lview, from_local=from_browser)
        if rview is not None and rview.validity is Validity.REUPLOAD:
            upload.add(guid)

        if lview is None and rview is None:
            return None
        if lview is None or rview is None:  # R5
            survivor = lview or rview
            assert survivor is not None
            from_local = lview is not None and from_browser
            if base is not None and not self._changed(survivor, local_side=from_local):
                return None  # deleted on one side, unchanged on the other
            if base is not None:
                self.stats.revived += 1
            (self._local_won if from_local else self._remote_won).add(guid)
            return self._copy(survivor, from_local=from_local)

        return self._merge_values(guid, lview, rview, base, from_browser=from_browser)

    def _copy(self, item: Item, *, from_local: bool) -> Item:
        base = self.base.get(item.guid)
        extra = (dict(base.extra) if base else {}) if from_local else dict(item.extra)
        return Item(
            guid=item.guid,
            kind=item.kind,
            parent=item.parent,
            title=item.title,
            url=item.url,
            date_added=item.date_added,
            modified=item.modified,
            extra=extra,
        )

    def _merge_values(
        self, guid: str, local: Item, remote: Item, base: Item | None, *, from_browser: bool
    ) -> Item:
        """R1, R2: field by field."""
        # The browser knows no extras: it never changes them, so the remote's stand.
        local_extra = remote.extra if from_browser else local.extra
        title, url, extra = remote.title, remote.url, remote.extra
        if local.title != title or local.url != url or local_extra != extra:
            local_newer = local.modified > remote.modified
            title = self._pick(local.title, title, base.title if base else None, base, local_newer)
            url = self._pick(local.url, url, base.url if base else None, base, local_newer)
            extra = self._pick(local_extra, extra, base.extra if base else None, base, local_newer)
            if title != remote.title or url != remote.url or extra != remote.extra:
                self._local_won.add(guid)
            if title != local.title or url != local.url or extra != local_extra:
                self._remote_won.add(guid)
        kind = remote.kind
        if (
            url is not None
            and kind in _BOOKMARKISH
            and (base is None or url != base.url or local.kind is not kind)
        ):
            kind = Kind.QUERY if url.startswith("place:") else Kind.BOOKMARK
        return Item(
            guid=guid,
            kind=kind,
            parent="",  # settled by _merge_parent
            title=title,
            url=url,
            date_added=_earliest(local.date_added, remote.date_added, base),
            modified=max(local.modified, remote.modified),
            extra=dict(extra) if extra else {},
        )

    def _pick(
        self, local: _T, remote: _T, base: _T | None, in_base: Item | None, local_newer: bool
    ) -> _T:
        """One field's merged value (R2)."""
        if local == remote:
            return remote
        local_changed = in_base is None or local != base
        remote_changed = in_base is None or remote != base
        if local_changed and remote_changed:
            self.stats.conflicts += 1
            return local if local_newer else remote
        return local if local_changed else remote

    # ------------------------------------------------------------------- structure

    def _merge_parent(
        self, guid: str, lview: Item | None, rview: Item | None, merged: dict[str, Item]
    ) -> str:
        """R3: which folder the item ends up in (R5: nearest surviving ancestor)."""
        if guid in USER_ROOTS:
            return PLACES_ROOT
        if lview is None or rview is None:
            survivor = lview or rview
            assert survivor is not None  # merged items come from at least one side
            chosen = survivor.parent
        elif lview.parent == rview.parent:
            chosen = rview.parent
        else:
            base = self.base.get(guid)
            local_moved = base is None or lview.parent != base.parent
            remote_moved = base is None or rview.parent != base.parent
            if local_moved and remote_moved:
                self.stats.conflicts += 1
                local_time = self._move_time(lview, self.local)
                local_moved = local_time > self._move_time(rview, self.remote)
            chosen = lview.parent if local_moved else rview.parent
            (self._local_won if local_moved else self._remote_won).add(guid)
        parent = merged.get(chosen)
        if parent is not None and parent.kind in _FOLDERS:
            return chosen
        return self._surviving_folder(chosen, merged)

    def _move_time(self, item: Item, side: dict[str, Item]) -> float:
        parent = side.get(item.parent)
        return max(item.modified, parent.modified if parent else 0.0)

    def _surviving_folder(self, guid: str, merged: dict[str, Item]) -> str:
        """``guid`` if it is a merged folder, else its nearest surviving ancestor."""
        seen: set[str] = set()
        while guid not in seen:
            item = merged.get(guid)
            if item is not None and item.kind in _FOLDERS:
                return guid
            seen.add(guid)
            known = self.base.get(guid) or self.remote.get(guid) or self.local.get(guid)
            if known is None or known.parent == PLACES_ROOT:
                break
            guid = known.parent
        return UNFILED

    def _views_of(self, guid: str) -> tuple[Item | None, Item | None]:
        views = self._views.get(guid)
        return views if views is not None else (self.local.get(guid), self.remote.get(guid))

    def _break_cycles(self, parents: dict[str, str]) -> None:
        """R11. The three inputs are trees, so only an item placed elsewhere than in the
        remote tree can close a cycle: walk up from each of those."""
        sound: set[str] = {*USER_ROOTS, PLACES_ROOT}  # known to hang under places
        for guid, parent in parents.items():
            remote = self.remote.get(guid)
            if guid in sound or (remote is not None and remote.parent == parent):
                continue
            path: list[str] = []
            on_path: set[str] = set()
            current = guid
            while current not in sound and current not in on_path:
                path.append(current)
                on_path.add(current)
                current = parents.get(current, PLACES_ROOT)
            if current in on_path:  # ``current`` closes a cycle: undo its move
                base = self.base.get(current)
                views = (*self._views_of(current), base)
                options = [view.parent for view in views if view is not None]
                parents[current] = next(
                    (p for p in options if self._hangs_under_places(p, parents, current)),
                    UNFILED,
                )
                self.stats.conflicts += 1
            sound.update(path)

    @staticmethod
    def _hangs_under_places(guid: str, parents: dict[str, str], avoiding: str) -> bool:
        """Whether ``guid`` is a merged item whose ancestry reaches places, not via ``avoiding``."""
        seen: set[str] = set()
        while guid != PLACES_ROOT:
            if guid == avoiding or guid in seen or guid not in parents:
                return False
            seen.add(guid)
            guid = parents[guid]
        return True

    def _assemble(
        self,
        merged: dict[str, Item],
        parents: dict[str, str],
    ) -> None:
        """R4, R8: fill in every folder's ``children``."""
        members: dict[str, list[str]] = {}
        for guid, item in merged.items():
            item.parent = parents[guid]
            members.setdefault(item.parent, []).append(guid)
        for folder_guid, kids in members.items():
            if folder_guid == PLACES_ROOT:
                continue
            merged[folder_guid].children = self._order_children(
                folder_guid, kids, *self._views_of(folder_guid)
            )

    def _order_children(
        self, guid: str, members: list[str], lview: Item | None, rview: Item | None
    ) -> list[str]:
        base = self.base.get(guid)
        base_order = base.children if base else None
        remote_order = rview.children if rview else None
        local_item = self.local.get(guid)
        local_order: list[str] | None
        if local_item is not None and lview is local_item:
            # The browser's order lacks hidden children: compare what it could see.
            local_changed = base_order is None or local_item.children != [
                c for c in base_order if c in self._base_visible
            ]
            if not local_changed:
                local_order = base_order
            elif base_order is None:
                # A first sync: the browser never saw the remote's children, so none of
                # them lost an anchor; they join as the remote's additions, in its order.
                local_order = list(local_item.children)
            else:
                local_order = self._with_hidden(
                    local_item.children,
                    remote_order if remote_order is not None else base_order,
                )
        else:
            local_order = lview.children if lview else None
            local_changed = local_order is not None and local_order != base_order
        remote_changed = remote_order is not None and remote_order != base_order

        local_first = local_changed and (
            not remote_changed
            or (lview is not None and rview is not None and lview.modified > rview.modified)
        )
        if local_changed and remote_changed and local_order != remote_order:
            self.stats.conflicts += 1
        if local_first:
            primary, secondary = local_order, remote_order
        elif remote_changed:
            primary, secondary = remote_order, local_order
        else:
            primary, secondary = base_order, remote_order
        wanted = set(members)
        out = list(dict.fromkeys(c for c in primary or () if c in wanted))
        if len(out) == len(members):
            return out
        if local_changed and remote_changed:
            # Both changed: the other side's additions follow, in its order.
            out = list(dict.fromkeys([*out, *(c for c in secondary or () if c in wanted)]))
        else:
            # The other side did not reorder: what it still has and the winner lost
            # (revived items) goes back next to where it was.
            out = _insert_after_anchors(out, secondary or [], wanted)
        out = _insert_after_anchors(out, base_order or [], wanted)
        if len(out) < len(members):
            # Children no side listed here (moved up from a deleted folder): tree order.
            placed = set(out)
            positions = self._tree_positions()
            leftovers = [c for c in members if c not in placed]
            out.extend(sorted(leftovers, key=lambda c: positions.get(c, len(positions))))
        return out

    def _with_hidden(self, visible: list[str], anchors: list[str] | None) -> list[str]:
        """R8: the browser's order with hidden siblings put back after their anchors."""
        if not anchors:
            return list(visible)
        shown = set(visible)
        head: list[str] = []
        after: dict[str, list[str]] = {}
        anchor: str | None = None
        for guid in anchors:
            if guid in shown:
                anchor = guid
                continue
            item = self.remote.get(guid) or self.base.get(guid)
            if item is None or item.kind in _SHOWN:
                continue  # deleted or moved away by the browser
            (after.setdefault(anchor, []) if anchor else head).append(guid)
        out = head
        for guid in visible:
            out.append(guid)
            out.extend(after.get(guid, ()))
        return out


def _insert_after_anchors(order: list[str], source: list[str], wanted: set[str]) -> list[str]:
    """``order`` with the ``wanted`` items of ``source`` it lacks put back, each right
    after the nearest item preceding it in ``source`` that ``order`` has."""
    placed = set(order)
    head: list[str] = []
    after: dict[str, list[str]] = {}
    anchor: str | None = None
    for guid in source:
        if guid in placed:
            anchor = guid
        elif guid in wanted:
            (after.setdefault(anchor, []) if anchor else head).append(guid)
            placed.add(guid)
    if not head and not after:
        return order
    out = head
    for guid in order:
        out.append(guid)
        out.extend(after.get(guid, ()))
    return out
