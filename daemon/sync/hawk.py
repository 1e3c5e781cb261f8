"""Hawk signing of storage requests (pure).

The storage token's ``key`` is used as text: its ASCII bytes are the HMAC key, as
the production server and Firefox use it (it is not base64-decoded). A request with
a body carries the payload hash; one without (GET, DELETE) carries none. Written out
rather than delegated to a library because uploads sign megabytes per request and
must stay cheap; the spec's vectors pin it down.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def payload_hash(body: bytes, content_type: str) -> str:
    """base64(SHA-256("hawk.1.payload\\n<type>\\n<body>\\n")); the type without parameters."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    digest = hashlib.sha256(b"hawk.1.payload\n" + media_type.encode("ascii") + b"\n")
    digest.update(body)
    digest.update(b"\n")
    return _b64(digest.digest())


def request_mac(
    key: str,
    *,
    timestamp: int,
    nonce: str,
    method: str,
    path_and_query: str,
    host: str,
    port: int,
    hash_b64: str = "",
    ext: str = "",
) -> str:
    normalized = (
        f"hawk.1.header\n{timestamp}\n{nonce}\n{method.upper()}\n{path_and_query}\n"
        f"{host.lower()}\n{port}\n{hash_b64}\n{ext}\n"
    )
    mac = hmac.new(key.encode("ascii"), normalized.encode("utf-8"), hashlib.sha256)
    return _b64(mac.digest())


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
    parts = urlsplit(url)
    path_and_query = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    port = parts.port or _DEFAULT_PORTS[parts.scheme]
    nonce = nonce or secrets.token_urlsafe(8)
    hash_b64 = payload_hash(body, content_type) if body is not None else ""
    mac = request_mac(
        token_key,
        timestamp=timestamp,
        nonce=nonce,
        method=method,
        path_and_query=path_and_query,
        host=parts.hostname or "",
        port=port,
        hash_b64=hash_b64,
    )
    fields = [f'id="{token_id}"', f'ts="{timestamp}"', f'nonce="{nonce}"']
    if hash_b64:
        fields.append(f'hash="{hash_b64}"')
    fields.append(f'mac="{mac}"')
    return "Hawk " + ", ".join(fields)
