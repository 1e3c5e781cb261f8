"""Hawk signing of storage requests (pure).

The storage token's ``key`` is used as text: its ASCII bytes are the HMAC key, as
the production server and Firefox use it (it is not base64-decoded). A request with
a body carries the payload hash; one without (GET, DELETE) carries none.
"""

from __future__ import annotations

import mohawk
from mohawk.base import EmptyValue


def storage_authorization(
    token_id: str,
    token_key: str,
    method: str,
    url: str,
    *,
    timestamp: int,
    body: bytes | None = None,
    content_type: str = "application/json",
    nonce: str | None = None,
) -> str:
    """The ``Authorization`` header for one storage request (``url`` with its query)."""
    has_body = body is not None
    sender = mohawk.Sender(
        {"id": token_id, "key": token_key, "algorithm": "sha256"},
        url,
        method,
        content=body if has_body else EmptyValue,
        content_type=content_type if has_body else EmptyValue,
        always_hash_content=has_body,
        nonce=nonce,
        _timestamp=str(timestamp),
    )
    return sender.request_header
