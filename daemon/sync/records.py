"""Sync records as the client sees them: server BSOs, decrypted records, uploads.

``parse_bso`` validates what the server sends before anything else touches it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from daemon.sync.errors import InvalidRecordError, SyncProtocolError

BSO_ID = re.compile(r"[ -~]{1,64}")
COLLECTION = re.compile(r"[A-Za-z0-9._-]{1,32}")
MAX_SORTINDEX = 999_999_999
MAX_TTL = 999_999_999


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_timestamp(value: object) -> float:
    """A server timestamp (number or header text) → float seconds; SyncProtocolError if bad."""
    try:
        number = float(value) if isinstance(value, str | int | float) else math.nan
    except ValueError:
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number < 0:
        raise SyncProtocolError(f"The Sync server sent an invalid timestamp: {value!r:.40}")
    return round(number, 2)


def format_timestamp(value: float) -> str:
    return f"{value:.2f}"


@dataclass(frozen=True)
class ServerBso:
    """A BSO as stored on the server: the payload is still encrypted (or meta/global JSON)."""

    id: str
    modified: float
    payload: str = field(repr=False)
    sortindex: int | None = None


def parse_bso(data: object) -> ServerBso:
    if not isinstance(data, dict):
        raise SyncProtocolError("The Sync server sent a record that is not an object.")
    bso_id = data.get("id")
    if not isinstance(bso_id, str) or not BSO_ID.fullmatch(bso_id):
        raise SyncProtocolError("The Sync server sent a record with an invalid id.")
    payload = data.get("payload", "")
    sortindex = data.get("sortindex")
    if not isinstance(payload, str):
        raise SyncProtocolError(f"The Sync server sent record {bso_id!r} with a bad payload.")
    if sortindex is not None and (not isinstance(sortindex, int) or isinstance(sortindex, bool)):
        raise SyncProtocolError(f"The Sync server sent record {bso_id!r} with a bad sortindex.")
    return ServerBso(bso_id, parse_timestamp(data.get("modified")), payload, sortindex)


@dataclass(frozen=True)
class IncomingRecord:
    id: str
    modified: float
    sortindex: int | None
    cleartext: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class OutgoingRecord:
    id: str
    cleartext: dict[str, Any] = field(repr=False)
    sortindex: int | None = None
    ttl: int | None = None

    def check(self) -> None:
        """Raise ``InvalidRecordError`` unless every Sync server would accept this record."""
        # Commas are legal on the server but break ``?ids=`` lists, so clients avoid them.
        if not isinstance(self.id, str) or not BSO_ID.fullmatch(self.id) or "," in self.id:
            raise InvalidRecordError(f"Record id {str(self.id)[:70]!r} is not valid for Sync.")
        if self.sortindex is not None and not (
            _is_int(self.sortindex) and abs(self.sortindex) <= MAX_SORTINDEX
        ):
            raise InvalidRecordError(f"Record {self.id!r} has an invalid sortindex.")
        if self.ttl is not None and not (_is_int(self.ttl) and 0 <= self.ttl <= MAX_TTL):
            raise InvalidRecordError(f"Record {self.id!r} has an invalid ttl.")


@dataclass(frozen=True)
class SkippedRecord:
    """A record we could not use, and why (no secrets in ``reason``)."""

    id: str
    modified: float
    reason: str


@dataclass(frozen=True)
class Download:
    records: list[IncomingRecord]
    last_modified: float
    skipped: list[SkippedRecord] = field(default_factory=list)
