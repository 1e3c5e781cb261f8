"""RFC 6238 time-based one-time codes (SHA-1, 6 digits, 30 s), as authenticator apps make."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct

STEP = 30
DIGITS = 6


def _secret_bytes(secret: str) -> bytes:
    text = secret.upper().replace(" ", "")
    return base64.b32decode(text + "=" * (-len(text) % 8))


def code_at(secret: str, unix_time: float, *, step: int = STEP) -> str:
    counter = int(unix_time // step)
    digest = hmac.new(_secret_bytes(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def accepts(secret: str, code: str, unix_time: float, *, window: int = 1) -> bool:
    """True when ``code`` is valid now or within ``window`` steps either side."""
    return any(
        hmac.compare_digest(code_at(secret, unix_time + delta * STEP), code)
        for delta in range(-window, window + 1)
    )
