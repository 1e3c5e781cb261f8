"""The bookmark tree as the merge sees it: items keyed by their Sync GUID.

All three inputs of a merge — the base (what both sides last agreed on), the local tree
(the browser's, projected onto Sync GUIDs) and the remote tree (built from the server's
records) — are ``Tree``s of ``Item``s, so the merge compares like with like.

GUIDs are Sync record ids: the four roots are ``menu``, ``toolbar``, ``unfiled`` and
``mobile`` (their parent is ``places``, which is never a record); every other item has
a 12-character base64url id.
"""

from __future__ import annotations

import base64
import gc
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

PLACES_ROOT = "places"
MENU, TOOLBAR, UNFILED, MOBILE = "menu", "toolbar", "unfiled", "mobile"
USER_ROOTS: tuple[str, ...] = (MENU, TOOLBAR, UNFILED, MOBILE)

ROOT_TITLES: dict[str, str] = {
    MENU: "Bookmarks Menu",
    TOOLBAR: "Bookmarks Toolbar",
    UNFILED: "Other Bookmarks",
    MOBILE: "Mobile Bookmarks",
}

_GUID_RE = re.compile(r"^[A-Za-z0-9_-]{12}\Z")


def is_valid_guid(guid: str) -> bool:
    return guid in USER_ROOTS or bool(_GUID_RE.match(guid))


def new_guid() -> str:
    """A fresh 12-character GUID, as Firefox makes them (9 random bytes, base64url)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(9)).decode("ascii")


class Validity(StrEnum):
    """How usable a remote record is, as Firefox classifies incoming records."""

    VALID = "valid"
    REUPLOAD = "reupload"  # usable, but we rewrote something: upload the corrected record
    REPLACE = "replace"  # unusable (e.g. a bookmark without a parseable URL): a valid local
    # copy replaces it, otherwise it is deleted


class Kind(StrEnum):
    BOOKMARK = "bookmark"
    QUERY = "query"
    FOLDER = "folder"
    LIVEMARK = "livemark"
    SEPARATOR = "separator"

    @property
    def is_folder(self) -> bool:
        return self in (Kind.FOLDER, Kind.LIVEMARK)

    @property
    def shown_in_chrome(self) -> bool:
        """Chrome has bookmarks and folders; everything else stays on the Sync side only."""
        return self in (Kind.BOOKMARK, Kind.FOLDER)


@dataclass(slots=True)
class Item:
    guid: str
    kind: Kind
    parent: str  # GUID of the parent folder; PLACES_ROOT for the four user roots
    title: str = ""
    url: str | None = None  # bookmarks and queries only
    children: list[str] = field(default_factory=list)  # folders only, in order
    date_added: int = 0  # milliseconds since the epoch
    modified: float = 0.0  # seconds since the epoch: when this side last changed it
    # Record fields foxbridge does not interpret (tags, keyword, description, unknown
    # ones) are carried here verbatim so that our uploads never strip them.
    extra: dict[str, Any] = field(default_factory=dict)
    # Only remote items carry a validity other than VALID; it is not part of the value.
    validity: Validity = field(default=Validity.VALID, compare=False)

    def same_value(self, other: Item) -> bool:
        """Whether the two carry the same user-visible value (structure aside)."""
        return (
            self.kind == other.kind
            and self.title == other.title
            and self.url == other.url
            and self.extra == other.extra
        )

    def copy(self) -> Item:
        """An independent copy (its own ``children`` list and ``extra`` dict)."""
        return Item(
            self.guid, self.kind, self.parent, self.title, self.url, list(self.children),
            self.date_added, self.modified, dict(self.extra), self.validity,
        )  # fmt: skip


@dataclass(slots=True)
class Tree:
    """A tree of items. ``items`` holds live items only; deletions are in ``tombstones``.

    ``diverged`` is only filled for a remote tree: the items whose structure the tree
    builder repaired (their records must be uploaded again, corrected).
    """

    items: dict[str, Item] = field(default_factory=dict)
    tombstones: set[str] = field(default_factory=set)
    diverged: set[str] = field(default_factory=set)

    def __contains__(self, guid: object) -> bool:
        return guid in self.items

    def __len__(self) -> int:
        return len(self.items)

    def get(self, guid: str) -> Item | None:
        return self.items.get(guid)

    def add(self, item: Item) -> None:
        self.items[item.guid] = item

    def walk(self, guid: str) -> list[Item]:
        """The subtree under ``guid`` in depth-first pre-order (``guid`` itself first)."""
        out: list[Item] = []
        stack = [guid]
        while stack:
            item = self.items.get(stack.pop())
            if item is None:
                continue
            out.append(item)
            stack.extend(reversed(item.children))
        return out


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building or merging large trees.

    They allocate hundreds of thousands of objects but no reference cycles; left running,
    the collector would rescan the whole heap again and again (a third of the time).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
