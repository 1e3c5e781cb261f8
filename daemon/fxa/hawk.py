"""Hawk request signing for FxA session and key-fetch tokens (pure)."""

from __future__ import annotations

import time

import mohawk
from mohawk.base import EmptyValue

from daemon.fxa.crypto import TokenKeys

CONTENT_TYPE = "application/json"


def authorization(
    keys: TokenKeys,
    method: str,
    url: str,
    body: bytes | None = None,
    *,
    content_type: str = CONTENT_TYPE,
    clock_offset: float = 0.0,
    nonce: str | None = None,
    timestamp: int | None = None,
) -> str:
    """The ``Authorization`` header for one request.

    ``clock_offset`` (server time minus local time, seconds) corrects a skewed local clock.
    A request with a body (``body`` not None, even empty) hashes it with its content type,
    so the server can tell it was not altered; a GET has no body and no hash.
    """
    has_body = body is not None
    sender = mohawk.Sender(
        {"id": keys.hawk_id, "key": keys.hawk_key, "algorithm": "sha256"},
        url,
        method,
        content=body if has_body else EmptyValue,
        content_type=content_type if has_body else EmptyValue,
        always_hash_content=has_body,
        nonce=nonce,
        _timestamp=timestamp if timestamp is not None else int(time.time() + clock_offset),
    )
    return sender.request_header
