"""Where a profile's bookmarks live: the ``BrowserEndpoint`` interface and the file endpoint.

The engine reads a tree and applies operations through a ``BrowserEndpoint``; it does
not know whether a live browser (through the daemon's socket, in ``daemon.service``) or
a file answers. ``FileEndpoint`` is a JSON file in ``chrome.bookmarks.getTree()`` shape
treated as one browser profile: ``foxbridge sync --tree-file`` uses it, and so do tests
and benchmarks. ``apply_operations`` gives operations Chrome's meaning (ids, indices,
``dateAdded``), so a file behaves as a browser would.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from .chrome import BrowserNode, BrowserTree, BrowserTreeError, empty_tree_json, parse_tree, to_json


class BrowserEndpoint(Protocol):
    profile_id: str

    async def read_tree(self) -> list[dict[str, Any]]:
        """The profile's bookmarks, as ``chrome.bookmarks.getTree()`` returns them."""
        ...

    async def apply(self, ops: list[dict[str, Any]]) -> dict[str, str]:
        """Apply operations in order; returns the browser id of each created ``ref``."""
        ...


class FileEndpoint:
    """A bookmark tree kept in a JSON file. A missing file is an empty profile."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path.expanduser().absolute()
        self.profile_id = "file-" + hashlib.sha256(str(self.path).encode()).hexdigest()[:16]
        self._clock = clock

    def __repr__(self) -> str:
        return f"FileEndpoint({str(self.path)!r})"

    async def read_tree(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return empty_tree_json(int(self._clock() * 1000))
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise BrowserTreeError(f"Cannot read the bookmark file {self.path}: {error}") from None
        except (ValueError, RecursionError):
            raise BrowserTreeError(f"The bookmark file {self.path} is not valid JSON.") from None
        return data if isinstance(data, list) else [data]

    async def apply(self, ops: list[dict[str, Any]]) -> dict[str, str]:
        tree = parse_tree(await self.read_tree())
        created = apply_operations(tree, ops, now_ms=int(self._clock() * 1000))
        self.write(to_json(tree))
        return created

    def write(self, tree_json: list[dict[str, Any]]) -> None:
        """Replace the file atomically (a crash leaves the old file or the new one)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(json.dumps(tree_json, ensure_ascii=False, separators=(",", ":")))
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


# -- Chrome's semantics for operations ------------------------------------------------------


def apply_operations(
    tree: BrowserTree, ops: Sequence[dict[str, Any]], *, now_ms: int
) -> dict[str, str]:
    """Apply ``ops`` to ``tree`` as ``chrome.bookmarks`` would; returns {ref: new id}.

    New ids are the next integer after the largest in use, as Chrome assigns them. An
    invalid operation raises ``BrowserTreeError`` (the caller then writes nothing).
    """
    created: dict[str, str] = {}
    next_id = 1 + max((int(node_id) for node_id in tree.nodes if node_id.isdigit()), default=0)
    permanent = set(tree.roots.values()) | {tree.root_id}

    def resolve(reference: object, what: str) -> BrowserNode:
        if not isinstance(reference, str):
            raise BrowserTreeError(f"Operation has no valid {what}.")
        node = tree.nodes.get(created.get(reference, reference))
        if node is None:
            raise BrowserTreeError(f"Operation names an unknown {what} {reference}.")
        return node

    def folder(reference: object) -> BrowserNode:
        node = resolve(reference, "parent")
        if not node.is_folder or node.id == tree.root_id:
            raise BrowserTreeError(f"Cannot put bookmarks in {node.id}.")
        return node

    for op in ops:
        kind = op.get("op")
        if kind == "create":
            parent = folder(op.get("parent"))
            index = _index(op, parent, default=len(parent.children))
            url = op.get("url")
            if url is not None and (not isinstance(url, str) or not url):
                raise BrowserTreeError("A created bookmark has an invalid URL.")
            node = BrowserNode(
                id=str(next_id),
                parent_id=parent.id,
                title=str(op.get("title", "")),
                url=url,
                date_added=now_ms,
                extra={} if url else {"dateGroupModified": now_ms},
            )
            next_id += 1
            tree.nodes[node.id] = node
            parent.children.insert(index, node.id)
            parent.extra["dateGroupModified"] = now_ms
            ref = op.get("ref")
            if isinstance(ref, str):
                created[ref] = node.id
        elif kind == "update":
            node = resolve(op.get("id"), "bookmark")
            if node.id in permanent:
                raise BrowserTreeError("Cannot modify the root bookmark folders.")
            if "title" in op:
                node.title = str(op["title"])
            if "url" in op:
                if node.is_folder:
                    raise BrowserTreeError("Cannot set the URL of a folder.")
                node.url = str(op["url"])
        elif kind == "move":
            node = resolve(op.get("id"), "bookmark")
            parent = folder(op.get("parent"))
            if node.id in permanent:
                raise BrowserTreeError("Cannot move the root bookmark folders.")
            if parent.id in tree.subtree(node.id):
                raise BrowserTreeError("Cannot move a folder into itself.")
            old = tree.nodes[node.parent_id or ""]
            old_index = old.children.index(node.id)
            index = _index(op, parent, default=len(parent.children))
            # Chrome reads the index as a position before the node leaves its folder.
            if old is parent and index > old_index:
                index -= 1
            old.children.pop(old_index)
            parent.children.insert(index, node.id)
            node.parent_id = parent.id
            parent.extra["dateGroupModified"] = now_ms
        elif kind == "remove":
            node = resolve(op.get("id"), "bookmark")
            if node.id in permanent:
                raise BrowserTreeError("Cannot remove the root bookmark folders.")
            tree.nodes[node.parent_id or ""].children.remove(node.id)
            for gone in tree.subtree(node.id):
                del tree.nodes[gone]
        else:
            raise BrowserTreeError(f"Unknown bookmark operation {str(kind)[:20]!r}.")
    return created


def _index(op: dict[str, Any], parent: BrowserNode, *, default: int) -> int:
    index = op.get("index", default)
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise BrowserTreeError("A bookmark operation has an invalid index.")
    if index > len(parent.children):
        raise BrowserTreeError("A bookmark operation's index is out of bounds.")
    return index
