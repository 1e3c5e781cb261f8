"""Tiny builders so that each merge test reads like the rule it shows.

``tree(toolbar=[bm("a"), folder("f", "F", bm("b"))])`` builds a ``Tree`` with all four
roots; ``shape(t, "toolbar")`` gives back ``["a", ("f", ["b"])]`` for assertions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from daemon.bookmarks.model import (
    PLACES_ROOT,
    ROOT_TITLES,
    USER_ROOTS,
    Item,
    Kind,
    Tree,
)


@dataclass
class Node:
    item: Item
    children: list[Node] = field(default_factory=list)


def bm(
    guid: str, title: str | None = None, url: str | None = None, *, at: float = 0.0, **extra: object
) -> Node:
    return Node(
        Item(
            guid,
            Kind.BOOKMARK,
            "",
            title if title is not None else guid.upper(),
            url or f"https://{guid}.example/",
            modified=at,
            extra=dict(extra),
        )
    )


def query(
    guid: str, title: str = "Most visited", url: str = "place:sort=8", *, at: float = 0.0
) -> Node:
    return Node(Item(guid, Kind.QUERY, "", title, url, modified=at))


def sep(guid: str, *, at: float = 0.0) -> Node:
    return Node(Item(guid, Kind.SEPARATOR, "", modified=at))


def folder(guid: str, title: str | None = None, *children: Node, at: float = 0.0) -> Node:
    item = Item(guid, Kind.FOLDER, "", title if title is not None else guid.upper(), modified=at)
    return Node(item, list(children))


def livemark(guid: str, *, at: float = 0.0) -> Node:
    extra = {"feedUri": f"https://{guid}.example/feed"}
    return Node(Item(guid, Kind.LIVEMARK, "", guid.upper(), modified=at, extra=extra))


def tree(
    *, roots: Iterable[str] = USER_ROOTS, at: dict[str, float] | None = None, **contents: list[Node]
) -> Tree:
    """A tree with the given roots; ``at`` sets the roots' ``modified``."""
    out = Tree()
    for root in roots:
        item = Item(root, Kind.FOLDER, PLACES_ROOT, ROOT_TITLES[root])
        item.modified = (at or {}).get(root, 0.0)
        out.add(item)
        _attach(out, item, contents.get(root, []))
    return out


def _attach(out: Tree, parent: Item, nodes: list[Node]) -> None:
    for node in nodes:
        item = replace(node.item, parent=parent.guid, children=[], extra=dict(node.item.extra))
        parent.children.append(item.guid)
        out.add(item)
        _attach(out, item, node.children)


def shape(t: Tree, guid: str) -> list[object]:
    """The subtree under ``guid`` as nested lists: leaves by GUID, folders as pairs."""
    out: list[object] = []
    for child in t.items[guid].children:
        item = t.items[child]
        assert item.parent == guid, f"{child} is listed by {guid} but names {item.parent}"
        out.append((child, shape(t, child)) if item.kind.is_folder else child)
    return out


def visible(t: Tree, *, hidden_roots: Iterable[str] = ()) -> Tree:
    """What the browser shows of ``t``: bookmarks and folders, no extras, no hidden roots."""
    out = Tree()
    for root in USER_ROOTS:
        if root in hidden_roots or root not in t.items:
            continue
        stack = [root]
        while stack:
            item = t.items[stack.pop()]
            kids = [c for c in item.children if t.items[c].kind.shown_in_chrome]
            out.add(replace(item, children=kids, extra={}))
            stack.extend(kids)
    return out


def copy_tree(t: Tree) -> Tree:
    return Tree(
        items={
            g: replace(i, children=list(i.children), extra=dict(i.extra))
            for g, i in t.items.items()
        },
        tombstones=set(t.tombstones),
    )
