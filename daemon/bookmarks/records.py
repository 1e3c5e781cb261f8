"""Sync bookmark records (decrypted cleartext) ⇄ ``Item``s.

Reading accepts what real clients have sent over the years and classifies each record
the way Firefox does (``Validity``):

- ``VALID``: used as is.
- ``REUPLOAD``: usable after a repair we made here (a wrongly typed optional field, a
  bogus ``dateAdded``, a duplicated child): the corrected record must be uploaded.
- ``REPLACE``: unusable — a bookmark or query without a parseable URL, a livemark
  without a feed. A valid local copy replaces it; otherwise the merge deletes it.

A record that cannot even be identified (not an object, no string ``id``) or that has
a type no client knows raises ``RecordError``; the caller skips and counts it.

Record fields foxbridge does not interpret (``tags``, ``keyword``, ``description``,
``loadInSidebar``, ``folderName``, ``queryId``, ``feedUri``, ``siteUri`` and any
unknown field) are kept verbatim in ``Item.extra`` and written back unchanged.

Root ids: the Sync ids ``menu``, ``toolbar``, ``unfiled``, ``mobile`` and ``places``
are used throughout; Firefox's Places spellings (``menu________``, ``root________``…)
are accepted on input and normalised to them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from daemon.errors import FoxbridgeError

from .model import MENU, MOBILE, PLACES_ROOT, TOOLBAR, UNFILED, Item, Kind, Validity

MAX_URL_LENGTH = 65536
FOLDER_SORTINDEX = 1_000_000
TOOLBAR_CHILD_SORTINDEX = 150

# Fields this module interprets; every other field goes to ``Item.extra``. ``parentName``
# and ``hasDupe`` are always regenerated; ``pos`` is recomputed from the parent.
_INTERPRETED = frozenset(
    {"id", "type", "parentid", "parentName", "hasDupe", "dateAdded", "title", "bmkUri"}
    | {"children", "pos", "deleted"}
)

_PLACES_SPELLINGS = {
    "root________": PLACES_ROOT,
    "menu________": MENU,
    "toolbar_____": TOOLBAR,
    "unfiled_____": UNFILED,
    "mobile______": MOBILE,
}

# Ids Firefox refuses to sync (old pinned-sites and reading-list roots, and the Places
# root itself as a record); records with them, or directly under them, are removed.
FORBIDDEN_IDS = frozenset({PLACES_ROOT, "pinned", "readinglist"})


# http(s) URLs with a plain host and no whitespace or control characters.
_PLAIN_WEB_URL = re.compile(r"https?://[^\x00-\x20/?#@\[\]\\]+(?:[/?#][^\x00-\x20]*)?\Z")
_FORBIDDEN_URL_CHARS = re.compile(r"[\x00\n\r\t]")


class RecordError(FoxbridgeError):
    """A bookmark record that cannot be used at all."""


@dataclass(slots=True)
class RemoteRecord:
    """One server record, read: an ``Item``, or a tombstone when ``item`` is None."""

    guid: str
    modified: float  # the server's last-modified time of the record, in seconds
    item: Item | None
    validity: Validity = Validity.VALID
    problems: list[str] = field(default_factory=list)  # what was wrong, in words

    @property
    def deleted(self) -> bool:
        return self.item is None


def normalize_id(record_id: str) -> str:
    """A record id with Places root spellings mapped to Sync ids."""
    return _PLACES_SPELLINGS.get(record_id, record_id)


def is_valid_url(url: object) -> bool:
    """Whether ``url`` is an absolute URL Firefox would accept for a bookmark."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        return False
    if _PLAIN_WEB_URL.match(url):
        return True  # the common case, settled without the full parse
    if _FORBIDDEN_URL_CHARS.search(url) or url != url.strip():
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.scheme or not parts.scheme[0].isalpha():
        return False
    # Hierarchical URLs need a host (file: aside); "place:", "javascript:", "data:" don't.
    return not (parts.scheme in ("http", "https", "ftp") and not parts.netloc)


def parse_record(cleartext: object, *, modified: float) -> RemoteRecord:
    """Read one decrypted record; ``modified`` is its server timestamp (seconds)."""
    if not isinstance(cleartext, Mapping):
        raise RecordError("A bookmark record is not a JSON object.")
    raw_id = cleartext.get("id")
    if not isinstance(raw_id, str) or not raw_id:
        raise RecordError("A bookmark record has no id.")
    guid = normalize_id(raw_id)
    if cleartext.get("deleted") is True:
        return RemoteRecord(guid=guid, modified=modified, item=None)

    kind_name = cleartext.get("type")
    try:
        kind = Kind(kind_name)
    except ValueError:
        raise RecordError(f"Bookmark record {guid} has an unknown type.") from None

    problems: list[str] = []
    validity = Validity.VALID

    def fix(problem: str) -> None:
        nonlocal validity
        problems.append(problem)
        if validity is Validity.VALID:
            validity = Validity.REUPLOAD

    parent = cleartext.get("parentid")
    if not isinstance(parent, str):
        parent = ""  # an orphan: the tree builder files it under unfiled
        problems.append("no parentid")
    parent = normalize_id(parent)

    title = cleartext.get("title")
    if title is None:
        title = ""
    elif not isinstance(title, str):
        title = ""
        fix("title is not a string")

    item = Item(
        guid=guid,
        kind=kind,
        parent=parent,
        title="" if kind is Kind.SEPARATOR else title,
        date_added=_date_added(cleartext.get("dateAdded"), modified),
        modified=modified,
        extra={k: v for k, v in cleartext.items() if k not in _INTERPRETED},
    )

    if kind in (Kind.BOOKMARK, Kind.QUERY):
        url = cleartext.get("bmkUri")
        if is_valid_url(url):
            item.url = url
        else:
            validity = Validity.REPLACE
            problems.append("missing or unparseable bmkUri")
    elif kind is Kind.LIVEMARK and not is_valid_url(item.extra.get("feedUri")):
        validity = Validity.REPLACE
        problems.append("livemark without a feed URL")

    if kind.is_folder:
        children = cleartext.get("children", [])
        if not isinstance(children, list):
            children = []
            fix("children is not a list")
        seen: set[str] = set()
        for child in children:
            if not isinstance(child, str):
                fix("a child id is not a string")
                continue
            child = normalize_id(child)
            if child in seen:
                fix("a child is listed twice")
                continue
            seen.add(child)
            item.children.append(child)

    if validity is not Validity.VALID:
        item.validity = validity
    return RemoteRecord(guid, modified, item, validity, problems)


def _date_added(value: object, modified: float) -> int:
    """``dateAdded`` in ms: an int or numeric string, never later than ``modified``.

    Firefox keeps the earlier of the record's ``dateAdded`` and its server time, and
    falls back to the server time when the value is absent or bogus.
    """
    fallback = max(0, int(modified * 1000))
    if isinstance(value, bool):
        return fallback
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            return fallback
    if isinstance(value, float) and math.isfinite(value):
        value = int(value)
    if not isinstance(value, int) or value <= 0:
        return fallback
    return min(value, fallback) if fallback else value


def record_from_item(
    item: Item, *, parent_title: str, position: int | None = None
) -> dict[str, Any]:
    """The complete cleartext record for ``item``, as Firefox writes it.

    ``position`` is the item's index in its parent (only separators use it, as ``pos``).
    Uninterpreted fields from ``item.extra`` come back unchanged.
    """
    record: dict[str, Any] = dict(item.extra)
    record.update(
        id=item.guid,
        type=item.kind.value,
        parentid=item.parent,
        parentName=parent_title,
        hasDupe=True,
        dateAdded=item.date_added,
    )
    if item.kind is Kind.SEPARATOR:
        record["pos"] = position if position is not None else 0
    else:
        record["title"] = item.title
    if item.kind in (Kind.BOOKMARK, Kind.QUERY) and item.url is not None:
        record["bmkUri"] = item.url
    if item.kind.is_folder:
        record["children"] = list(item.children)
    return record


def tombstone_record(guid: str) -> dict[str, Any]:
    return {"id": guid, "deleted": True}


def sortindex_for(item: Item) -> int:
    """Desktop Firefox's convention: folders first, then toolbar items, then the rest."""
    if item.kind.is_folder:
        return FOLDER_SORTINDEX
    if item.parent == TOOLBAR:
        return TOOLBAR_CHILD_SORTINDEX
    return 0
