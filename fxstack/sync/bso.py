"""Validation of what clients send to storage: BSOs, names, query values, limits.

Mirrors the rules of the production server: ids are 1–64 printable ASCII characters,
collections ``[A-Za-z0-9._-]{1,32}``, ``sortindex`` within ±999 999 999, ``ttl`` a
non-negative integer up to 999 999 999, ``payload`` a string within the configured
size, and any other field makes the BSO invalid.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from fxstack.sync.db import Write

BSO_ID = re.compile(r"[ -~]{1,64}")
COLLECTION = re.compile(r"[A-Za-z0-9._-]{1,32}")
MAX_SORTINDEX = 999_999_999
MAX_TTL = 999_999_999
# ``modified`` is accepted and ignored: the server sets it (Firefox sends ``modified: 0``).
KNOWN_FIELDS = frozenset({"id", "sortindex", "payload", "ttl", "modified"})
# Broken clients once uploaded crypto/keys with an all-zero IV; servers refuse it.
ZERO_IV = re.compile(r'"IV":\s*"AAAAAAAAAAAAAAAAAAAAAA=="')


@dataclass
class Limits:
    """info/configuration, with the production server's defaults."""

    max_request_bytes: int = 2_625_536
    max_post_records: int = 100
    max_post_bytes: int = 2_621_440
    max_total_records: int = 10_000
    max_total_bytes: int = 262_144_000
    max_record_payload_bytes: int = 2_621_440

    def to_json(self) -> dict[str, int]:
        return asdict(self)


class InvalidBso(ValueError):
    """The reason text goes into a POST's ``failed`` map."""


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_write(body: object, limits: Limits, *, url_id: str | None = None) -> Write:
    """A client's BSO → a ``Write``; raises ``InvalidBso`` with a short reason."""
    if not isinstance(body, dict):
        raise InvalidBso("invalid bso: not an object")
    unknown = set(body) - KNOWN_FIELDS
    if unknown:
        raise InvalidBso(f"invalid bso: unknown field {sorted(unknown)[0]}")
    bso_id = body.get("id", url_id)
    if not isinstance(bso_id, str) or not BSO_ID.fullmatch(bso_id):
        raise InvalidBso("invalid id")
    if url_id is not None and bso_id != url_id:
        raise InvalidBso("invalid id: does not match the URL")
    fields = frozenset(body) - {"id", "modified"}
    sortindex = body.get("sortindex")
    if sortindex is not None and not (is_int(sortindex) and abs(sortindex) <= MAX_SORTINDEX):
        raise InvalidBso("invalid sortindex")
    payload = body.get("payload")
    if payload is not None:
        if not isinstance(payload, str):
            raise InvalidBso("invalid payload")
        if len(payload.encode("utf-8")) > limits.max_record_payload_bytes:
            raise InvalidBso("payload too large")
    ttl = body.get("ttl")
    if ttl is not None and not (is_int(ttl) and 0 <= ttl <= MAX_TTL):
        raise InvalidBso("invalid ttl")
    return Write(bso_id, fields, sortindex, payload, ttl)


def parse_ts_header(value: str | None) -> int | None:
    """An X-If-(Un)Modified-Since value → hundredths of a second; ValueError if bad."""
    if value is None:
        return None
    try:
        number = Decimal(value.strip())
    except InvalidOperation as error:
        raise ValueError(value) from error
    if not number.is_finite() or number < 0:
        raise ValueError(value)
    return int(number * 100)


def parse_nonnegative_int(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        raise ValueError(value)
    return int(value)
