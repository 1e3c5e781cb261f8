"""The browser's side of a sync: a ``chrome.bookmarks.getTree()`` result, read and projected.

The browser gives us its tree as JSON nodes with string ids that mean nothing outside
that profile. ``parse_tree`` validates that JSON into a ``BrowserTree``; ``project``
turns it into a ``Tree`` of Sync GUIDs (through the profile's id map) so the merge can
compare it with the base and the server's tree.

Roots: Chrome's Bookmarks bar, Other bookmarks and Mobile bookmarks are Firefox's
toolbar, unfiled and mobile roots (found by ``folderType``, or by the ids 1, 2, 3 of
browsers that do not report it). Firefox's Bookmarks Menu has no Chrome counterpart: it
is shown as a folder named "Bookmarks Menu" inside Other bookmarks or the Bookmarks bar
(``MenuPlacement``), or not at all. That folder *is* the ``menu`` root: its children are
the menu's children, and it is never itself a child of unfiled or toolbar.

What Chrome cannot show (separators, ``place:`` queries, livemarks, and the whole menu
when it is hidden) is absent from the browser; the merge knows the local tree holds only
bookmarks and folders, and ``Projection.hidden_roots`` names the roots the browser has no
folder for, so that absence is never mistaken for deletions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from daemon.errors import FoxbridgeError
from daemon.settings import MenuPlacement

from .model import (
    MENU,
    MOBILE,
    PLACES_ROOT,
    ROOT_TITLES,
    TOOLBAR,
    UNFILED,
    USER_ROOTS,
    Item,
    Kind,
    Tree,
    is_valid_guid,
    new_guid,
)

# Chrome's folderType of each permanent folder, and the Sync root it stands for.
ROOT_BY_FOLDER_TYPE: dict[str, str] = {"bookmarks-bar": TOOLBAR, "other": UNFILED, "mobile": MOBILE}
# Browsers that do not report folderType use these fixed ids.
ROOT_BY_FALLBACK_ID: dict[str, str] = {"1": TOOLBAR, "2": UNFILED, "3": MOBILE}
FOLDER_TYPE_OF_ROOT: dict[str, str] = {root: kind for kind, root in ROOT_BY_FOLDER_TYPE.items()}
CHROME_ROOT_TITLES: dict[str, str] = {
    TOOLBAR: "Bookmarks bar",
    UNFILED: "Other bookmarks",
    MOBILE: "Mobile bookmarks",
}
MENU_FOLDER_TITLE = ROOT_TITLES[MENU]  # "Bookmarks Menu"

# Node fields read into BrowserNode; any others are carried in ``extra``.
_NODE_FIELDS = frozenset({"id", "parentId", "index", "title", "url", "dateAdded", "children"})
MAX_TITLE_LENGTH = 4096
MAX_URL_LENGTH = 65536


class BrowserTreeError(FoxbridgeError):
    """The browser's bookmark tree is malformed; nothing is synced from it."""


@dataclass(slots=True)
class BrowserNode:
    id: str
    parent_id: str | None  # None for the invisible root node
    title: str
    url: str | None  # None for folders
    date_added: int  # milliseconds since the epoch
    children: list[str] = field(default_factory=list)  # folders only, in order
    # Fields we carry through unchanged (folderType, dateGroupModified, dateLastUsed…).
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_folder(self) -> bool:
        return self.url is None


@dataclass
class BrowserTree:
    """A validated ``getTree()`` result."""

    nodes: dict[str, BrowserNode]
    root_id: str  # the invisible node above the permanent folders
    roots: dict[str, str]  # Sync root GUID (toolbar, unfiled, mobile) → browser id

    def item_count(self) -> int:
        """Bookmarks and folders the user made (not the permanent folders)."""
        return len(self.nodes) - 1 - len(self.roots)

    def subtree(self, node_id: str) -> list[str]:
        """``node_id`` and every node below it, parents first."""
        out: list[str] = []
        stack = [node_id]
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(reversed(self.nodes[current].children))
        return out

    def root_of(self, sync_root: str) -> str:
        return self.roots[sync_root]


def empty_tree_json(now_ms: int = 0) -> list[dict[str, Any]]:
    """The tree of a fresh profile: the invisible root and the three permanent folders."""
    permanent = [
        {
            "id": node_id,
            "parentId": "0",
            "index": index,
            "title": CHROME_ROOT_TITLES[root],
            "dateAdded": now_ms,
            "dateGroupModified": now_ms,
            "folderType": FOLDER_TYPE_OF_ROOT[root],
            "children": [],
        }
        for index, (node_id, root) in enumerate(ROOT_BY_FALLBACK_ID.items())
    ]
    return [{"id": "0", "title": "", "dateAdded": now_ms, "children": permanent}]


def parse_tree(data: object) -> BrowserTree:
    """Validate a ``getTree()`` result. Raises ``BrowserTreeError`` with a plain reason."""
    if isinstance(data, list):
        if len(data) != 1:
            raise BrowserTreeError("The browser's bookmark tree must have exactly one root.")
        data = data[0]
    if not isinstance(data, dict):
        raise BrowserTreeError("The browser's bookmark tree is not a JSON object.")

    nodes: dict[str, BrowserNode] = {}
    root = _read_node(data, parent_id=None)
    if root.is_folder is False:
        raise BrowserTreeError("The browser's root bookmark node is not a folder.")
    nodes[root.id] = root
    # Iterative walk: deep trees must not hit Python's recursion limit.
    stack: list[tuple[BrowserNode, list[Any]]] = [(root, _children_of(data, root.id))]
    while stack:
        parent, raw_children = stack.pop()
        for raw in raw_children:
            node = _read_node(raw, parent_id=parent.id)
            if node.id in nodes:
                raise BrowserTreeError(f"Bookmark id {node.id} appears twice in the tree.")
            nodes[node.id] = node
            parent.children.append(node.id)
            if node.is_folder:
                stack.append((node, _children_of(raw, node.id)))
    return BrowserTree(nodes=nodes, root_id=root.id, roots=_find_roots(nodes, root))


def _children_of(raw: dict[str, Any], node_id: str) -> list[Any]:
    children = raw.get("children", [])
    if not isinstance(children, list):
        raise BrowserTreeError(f"Bookmark folder {node_id} has malformed children.")
    return children


def _read_node(raw: object, *, parent_id: str | None) -> BrowserNode:
    if not isinstance(raw, dict):
        raise BrowserTreeError("A bookmark node is not a JSON object.")
    node_id = raw.get("id")
    if not isinstance(node_id, str) or not node_id or len(node_id) > 64:
        raise BrowserTreeError("A bookmark node has no valid id.")
    title = raw.get("title", "")
    if not isinstance(title, str) or len(title) > MAX_TITLE_LENGTH:
        raise BrowserTreeError(f"Bookmark {node_id} has a malformed title.")
    url = raw.get("url")
    if url is not None and (not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH):
        raise BrowserTreeError(f"Bookmark {node_id} has a malformed URL.")
    if url is not None and "children" in raw:
        raise BrowserTreeError(f"Bookmark {node_id} has both a URL and children.")
    date_added = raw.get("dateAdded", 0)
    # JSON as Python reads it may hold NaN or Infinity, which no timestamp is.
    if (
        isinstance(date_added, bool)
        or not isinstance(date_added, int | float)
        or not math.isfinite(date_added)
    ):
        raise BrowserTreeError(f"Bookmark {node_id} has a malformed dateAdded.")
    # Nesting is what counts: parentId and index are recomputed on output, so a tree
    # edited by hand need not keep them right.
    unknown = raw.keys() - _NODE_FIELDS
    extra = {key: raw[key] for key in unknown} if unknown else {}
    return BrowserNode(
        id=node_id,
        parent_id=parent_id,
        title=title,
        url=url,
        date_added=max(0, int(date_added)),
        extra=extra,
    )


def _find_roots(nodes: dict[str, BrowserNode], root: BrowserNode) -> dict[str, str]:
    roots: dict[str, str] = {}
    for child_id in root.children:
        child = nodes[child_id]
        folder_type = child.extra.get("folderType")
        sync_root = ROOT_BY_FOLDER_TYPE.get(folder_type) if isinstance(folder_type, str) else None
        if sync_root is None and folder_type is None:
            sync_root = ROOT_BY_FALLBACK_ID.get(child_id)
        if sync_root is not None and child.is_folder and sync_root not in roots:
            roots[sync_root] = child_id
    for needed in (TOOLBAR, UNFILED):
        if needed not in roots:
            raise BrowserTreeError(
                "The browser's bookmark tree has no Bookmarks bar or no Other bookmarks folder."
            )
    return roots


def to_json(tree: BrowserTree) -> list[dict[str, Any]]:
    """The tree back in ``getTree()`` shape (ids, parentId, index, children…)."""

    def node_json(node_id: str, index: int) -> dict[str, Any]:
        node = tree.nodes[node_id]
        out: dict[str, Any] = {"id": node.id}
        if node.parent_id is not None:
            out["parentId"] = node.parent_id
            out["index"] = index
        out["title"] = node.title
        if node.url is not None:
            out["url"] = node.url
        out["dateAdded"] = node.date_added
        out.update(node.extra)
        return out

    # Iterative, like parse_tree: each folder's JSON list is filled when it is popped.
    top = node_json(tree.root_id, 0)
    stack: list[tuple[str, dict[str, Any]]] = [(tree.root_id, top)]
    while stack:
        node_id, out = stack.pop()
        node = tree.nodes[node_id]
        if not node.is_folder:
            continue
        out["children"] = []
        for index, child_id in enumerate(node.children):
            child_json = node_json(child_id, index)
            out["children"].append(child_json)
            stack.append((child_id, child_json))
    return [top]


# -- projection onto Sync GUIDs ---------------------------------------------------------


def menu_parent_root(placement: MenuPlacement) -> str | None:
    """The Sync root whose Chrome folder holds the "Bookmarks Menu" folder, if shown."""
    if placement is MenuPlacement.OTHER:
        return UNFILED
    if placement is MenuPlacement.TOOLBAR:
        return TOOLBAR
    return None


@dataclass
class Projection:
    """The browser tree seen as a ``Tree`` of GUIDs, and how its nodes map to them."""

    tree: Tree
    guid_of: dict[str, str]  # browser id → GUID, for every projected node
    new_guids: set[str]  # GUIDs minted in this projection (nodes the id map did not know)
    menu_folder_id: str | None  # the browser folder that stands for the menu root
    dropped_ids: set[str]  # browser nodes not projected (the menu folder's subtree when hidden)

    @property
    def hidden_roots(self) -> frozenset[str]:
        """User roots the browser shows no folder for: it has no opinion about them."""
        return frozenset(root for root in USER_ROOTS if root not in self.tree)


def project(
    browser: BrowserTree,
    id_map: Mapping[str, str],
    *,
    placement: MenuPlacement,
    now: float,
    changed_at: Mapping[str, float] | None = None,
) -> Projection:
    """Project the browser tree onto GUIDs.

    ``id_map`` maps browser ids to GUIDs (entries for vanished nodes are ignored);
    unknown nodes get fresh GUIDs (new local items, which the merge may match by content
    to remote ones). ``changed_at`` gives, per browser id, when the browser reported a
    change to it (milliseconds, as ``bookmarks.changed`` events carry it); other items
    are stamped ``now`` (seconds, like ``Item.modified``).
    """
    changed_at = changed_at or {}
    guid_of: dict[str, str] = {}
    new_guids: set[str] = set()
    root_ids = set(browser.roots.values()) | {browser.root_id}
    for sync_root, node_id in browser.roots.items():
        guid_of[node_id] = sync_root

    menu_folder_id = _find_menu_folder(browser, id_map, placement)
    dropped: set[str] = set()
    if menu_folder_id is not None and placement is MenuPlacement.HIDDEN:
        dropped = set(browser.subtree(menu_folder_id))
    elif menu_folder_id is not None:
        guid_of[menu_folder_id] = MENU

    taken = set(guid_of.values())
    for node_id in browser.subtree(browser.root_id):
        if node_id in root_ids or node_id in guid_of or node_id in dropped:
            continue
        guid = id_map.get(node_id)
        if guid is None or guid in taken or not _is_item_guid(guid):
            guid = new_guid()
            new_guids.add(guid)
        guid_of[node_id] = guid
        taken.add(guid)

    tree = Tree()
    for node_id, guid in guid_of.items():
        node = browser.nodes[node_id]
        is_root = node_id in root_ids or guid == MENU
        parent = PLACES_ROOT if is_root else guid_of[node.parent_id or ""]
        kind = Kind.FOLDER if node.is_folder else Kind.BOOKMARK
        # Root titles are not the user's to change (the merge keeps the local root's).
        title = ROOT_TITLES[guid] if is_root else node.title
        tree.add(
            Item(
                guid=guid,
                kind=kind,
                parent=parent,
                title=title,
                url=node.url,
                children=[
                    guid_of[child]
                    for child in node.children
                    if child in guid_of and guid_of[child] != MENU
                ],
                # A node without one (a hand-written file) was added now, not in 1970.
                date_added=node.date_added or int(now * 1000),
                modified=changed_at[node_id] / 1000 if node_id in changed_at else now,
            )
        )
    return Projection(tree, guid_of, new_guids, menu_folder_id, dropped)


def _is_item_guid(guid: str) -> bool:
    return is_valid_guid(guid) and guid not in USER_ROOTS


def _find_menu_folder(
    browser: BrowserTree, id_map: Mapping[str, str], placement: MenuPlacement
) -> str | None:
    """The browser folder standing for the menu root: the mapped one, else (first sync) an
    unmapped folder named "Bookmarks Menu" where the placement puts it."""
    for node_id, guid in id_map.items():
        node = browser.nodes.get(node_id)
        # The menu's folder is never one of the permanent folders.
        if (
            guid == MENU
            and node is not None
            and node.is_folder
            and node.parent_id != browser.root_id
        ):
            return node_id
    parent_root = menu_parent_root(placement)
    if parent_root is None or parent_root not in browser.roots:
        return None
    mapped = set(id_map)
    for child_id in browser.nodes[browser.roots[parent_root]].children:
        child = browser.nodes[child_id]
        if child.is_folder and child.title == MENU_FOLDER_TITLE and child_id not in mapped:
            return child_id
    return None
