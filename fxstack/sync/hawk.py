"""Hawk verification of storage requests, as strict as production.

The MAC covers method, path and query exactly as sent, host, port, and the payload
hash when the client sent one (then the body must match it). The timestamp must be
within ``skew`` seconds of the server clock. Nonces are not tracked, as in production.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from typing import TypeVar

_ATTRIBUTE = re.compile(r'(\w+)="([^"\\]*)"')
T = TypeVar("T")


class HawkError(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _payload_hash(body: bytes, content_type: str) -> str:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return _b64(
        hashlib.sha256(b"hawk.1.payload\n" + media_type.encode() + b"\n" + body + b"\n").digest()
    )


def verify(
    header: str,
    *,
    method: str,
    path_and_query: str,
    host: str,
    port: int,
    body: bytes,
    content_type: str,
    lookup: Callable[[str], tuple[str, T] | None],
    now: float,
    skew: float,
) -> T:
    """The credentials' owner (from ``lookup(id) -> (key, owner)``) or ``HawkError``."""
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "hawk":
        raise HawkError("not a Hawk header")
    attributes = dict(_ATTRIBUTE.findall(rest))
    try:
        token_id, ts_text = attributes["id"], attributes["ts"]
        nonce, mac = attributes["nonce"], attributes["mac"]
    except KeyError:
        raise HawkError("incomplete Hawk header") from None
    if not ts_text.isdigit() or abs(now - int(ts_text)) > skew:
        raise HawkError("stale timestamp")
    found = lookup(token_id)
    if found is None:
        raise HawkError("unknown credentials")
    key, owner = found
    claimed_hash = attributes.get("hash", "")
    if claimed_hash and not hmac.compare_digest(
        claimed_hash.encode(), _payload_hash(body, content_type).encode()
    ):
        raise HawkError("payload hash mismatch")
    normalized = (
        f"hawk.1.header\n{ts_text}\n{nonce}\n{method.upper()}\n{path_and_query}\n"
        f"{host.lower()}\n{port}\n{claimed_hash}\n{attributes.get('ext', '')}\n"
    )
    expected = _b64(hmac.new(key.encode(), normalized.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected.encode(), mac.encode()):
        raise HawkError("bad MAC")
    return owner
