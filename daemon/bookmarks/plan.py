"""From the merged tree to what must change: browser operations and records to upload.

Both halves are diffs, and both are pure:

- ``plan_browser`` compares the merged tree with what the browser has and produces the
  operations of docs/ipc.md, ordered so that Chrome can apply them one by one: each
  folder's children are put in place top-down (so a parent always exists before its
  children, and each index is right at the moment it is applied), and removals come last
  (by then everything that survives has been moved out of a removed folder). Only
  bookmarks and folders under a root the browser shows ever become operations.
- ``plan_upload`` compares the merged tree with the remote tree and produces complete
  records for what differs: changed items, folders whose ``children`` changed (so a move
  uploads both parents), tombstones for what the merge deleted and re-keyed items' old
  GUIDs. Records are built from the merged item, whose ``extra`` carries the fields we
  do not interpret, so nothing another client wrote is stripped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from daemon.settings import MenuPlacement

from .chrome import MENU_FOLDER_TITLE, BrowserTree, Projection, menu_parent_root
from .model import MENU, PLACES_ROOT, USER_ROOTS, Item, Kind, Tree
from .records import record_from_item, sortindex_for, tombstone_record

# -- browser operations -----------------------------------------------------------------


@dataclass
class BrowserPlan:
    ops: list[dict[str, Any]] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    moved: int = 0
    removed: int = 0  # nodes removed, counting everything inside removed folders
    removed_ids: list[str] = field(default_factory=list)  # all of them, parents first
    # Of those, the ones deleted (not merely out of the browser's view, like the menu's
    # folder when the menu becomes hidden): what the safety brake counts.
    deleted: int = 0
    deleted_titles: list[str] = field(default_factory=list)  # in tree order, the first 50

    @property
    def empty(self) -> bool:
        return not self.ops


def visible_items(merged: Tree, shown_roots: Iterable[str]) -> dict[str, str]:
    """GUID → parent GUID of every merged item the browser shows, parents first."""
    visible: dict[str, str] = {}
    roots = [root for root in shown_roots if root in merged]
    for root in roots:
        visible[root] = PLACES_ROOT
    stack = roots[::-1]
    while stack:
        folder = merged.items[stack.pop()]
        for child_guid in reversed(folder.children):
            child = merged.get(child_guid)
            if child is None or not child.kind.shown_in_chrome or child_guid in visible:
                continue
            visible[child_guid] = folder.guid
            if child.kind is Kind.FOLDER:
                stack.append(child_guid)
    return visible


def plan_browser(
    merged: Tree, browser: BrowserTree, projection: Projection, *, placement: MenuPlacement
) -> BrowserPlan:
    """The operations that turn the browser's tree into the merged tree."""
    plan = BrowserPlan()
    menu_parent = menu_parent_root(placement)
    shown_roots = [root for root in USER_ROOTS if root in browser.roots]
    if menu_parent is not None and MENU in merged:
        shown_roots.append(MENU)
    visible = visible_items(merged, shown_roots)

    # A "ref" is a browser id, or the GUID of an item created by an earlier operation.
    ref_of: dict[str, str] = {guid: node_id for node_id, guid in projection.guid_of.items()}
    for sync_root, node_id in browser.roots.items():
        ref_of[sync_root] = node_id
    children: dict[str, list[str]] = {
        node_id: list(node.children) for node_id, node in browser.nodes.items() if node.is_folder
    }
    parent_of: dict[str, str] = {
        node_id: node.parent_id
        for node_id, node in browser.nodes.items()
        if node.parent_id is not None
    }

    def desired_children(folder: str, current: list[str]) -> list[tuple[str, Item]]:
        wanted = [
            (ref_of.get(child, child), merged.items[child])
            for child in merged.items[folder].children
            if child in visible
        ]
        if folder == menu_parent and MENU in visible:
            # The menu's folder sits among its parent root's children, not in the merged
            # tree's: it stays where the user put it, or goes first.
            menu_ref = ref_of.get(MENU, MENU)
            position = _menu_position([ref for ref, _ in wanted], menu_ref, current)
            wanted.insert(position, (menu_ref, merged.items[MENU]))
        return wanted

    for folder, item in ((guid, merged.items[guid]) for guid in visible):
        if item.kind is not Kind.FOLDER:
            continue
        folder_ref = ref_of.get(folder, folder)
        current = children.setdefault(folder_ref, [])
        for index, (child_ref, child) in enumerate(desired_children(folder, current)):
            if child_ref not in parent_of:
                plan.ops.append(_create_op(child, child_ref, folder_ref, index))
                current.insert(index, child_ref)
                parent_of[child_ref] = folder_ref
                plan.created += 1
                continue
            if parent_of[child_ref] != folder_ref or current[index] != child_ref:
                old = children[parent_of[child_ref]]
                old.remove(child_ref)
                current.insert(index, child_ref)
                parent_of[child_ref] = folder_ref
                plan.ops.append(
                    {"op": "move", "id": child_ref, "parent": folder_ref, "index": index}
                )
                plan.moved += 1
            update = _update_op(child, browser.nodes[child_ref])
            if update is not None:
                plan.ops.append(update)
                plan.updated += 1

    _plan_removals(plan, merged, browser, projection, visible, parent_of)
    return plan


def _menu_position(wanted: list[str], menu_ref: str, current: list[str]) -> int:
    """Where the menu's folder goes: where it is now among the visible children, else first."""
    if menu_ref not in current:
        return 0
    before = set(current[: current.index(menu_ref)])
    return sum(1 for ref in wanted if ref in before)


def _create_op(item: Item, ref: str, parent_ref: str, index: int) -> dict[str, Any]:
    title = MENU_FOLDER_TITLE if item.guid == MENU else item.title
    op: dict[str, Any] = {"op": "create", "ref": ref, "parent": parent_ref, "index": index}
    op["title"] = title
    if item.kind is Kind.BOOKMARK and item.url is not None:
        op["url"] = item.url
    return op


def _update_op(item: Item, node: Any) -> dict[str, Any] | None:
    if item.guid in USER_ROOTS:
        return None  # the permanent folders and the menu's folder keep their names
    op: dict[str, Any] = {"op": "update", "id": node.id}
    if item.title != node.title:
        op["title"] = item.title
    if item.kind is Kind.BOOKMARK and item.url is not None and item.url != node.url:
        op["url"] = item.url
    return op if len(op) > 2 else None


def _plan_removals(
    plan: BrowserPlan,
    merged: Tree,
    browser: BrowserTree,
    projection: Projection,
    visible: Mapping[str, str],
    parent_of: Mapping[str, str],
) -> None:
    """Remove every browser node the merged tree does not show, topmost nodes only."""
    permanent = set(browser.roots.values()) | {browser.root_id}
    doomed: list[str] = []
    for node_id in browser.subtree(browser.root_id):  # tree order, parents first
        if node_id in permanent:
            continue
        guid = projection.guid_of.get(node_id)
        if guid is None or guid not in visible:
            doomed.append(node_id)
    doomed_set = set(doomed)
    plan.removed_ids = doomed
    plan.removed = len(doomed)
    for node_id in doomed:
        guid = projection.guid_of.get(node_id)
        if guid is not None and guid not in merged:
            plan.deleted += 1
            if len(plan.deleted_titles) < 50:
                node = browser.nodes[node_id]
                plan.deleted_titles.append(node.title or node.url or "(untitled)")
        if parent_of[node_id] not in doomed_set:
            plan.ops.append({"op": "remove", "id": node_id})


# -- records to upload ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedRecord:
    guid: str
    cleartext: dict[str, Any]
    sortindex: int | None = None

    @property
    def deleted(self) -> bool:
        return self.cleartext.get("deleted") is True


def plan_upload(
    merged: Tree,
    remote: Tree,
    *,
    server_live: Iterable[str],
    deleted: Iterable[str] = (),
    must_upload: Iterable[str] = (),
) -> list[PlannedRecord]:
    """Records that make the server hold the merged tree.

    ``server_live`` are the ids with a live record on the server (the mirror's), so a
    deletion only uploads a tombstone where there is something to delete. ``deleted``
    and ``must_upload`` come from the merge (and the remote tree's repairs).
    """
    forced = set(must_upload) | remote.diverged
    out: list[PlannedRecord] = []
    for guid, item in merged.items.items():
        if guid == PLACES_ROOT:
            continue
        theirs = remote.get(guid)
        if guid not in forced and theirs is not None and not _differs(item, theirs):
            continue
        out.append(_record_for(item, merged, theirs))
    live = set(server_live)
    gone = (set(remote.items) | remote.tombstones | set(deleted)) - set(merged.items)
    out.extend(PlannedRecord(guid, tombstone_record(guid)) for guid in sorted(gone & live))
    return out


def _differs(mine: Item, theirs: Item) -> bool:
    if mine.kind != theirs.kind or mine.children != theirs.children:
        return True
    if mine.guid in USER_ROOTS:
        return False  # a root's own values are not ours to change
    return (
        mine.parent != theirs.parent
        or mine.title != theirs.title
        or mine.url != theirs.url
        or mine.extra != theirs.extra
    )


def _record_for(item: Item, merged: Tree, theirs: Item | None) -> PlannedRecord:
    parent = merged.get(item.parent)
    parent_title = parent.title if parent is not None else ""
    position = parent.children.index(item.guid) if item.kind is Kind.SEPARATOR and parent else None
    if item.guid in USER_ROOTS and theirs is not None and theirs.title != item.title:
        item = replace(item, title=theirs.title)  # keep the server's root title
    cleartext = record_from_item(item, parent_title=parent_title, position=position)
    return PlannedRecord(item.guid, cleartext, sortindex_for(item))
