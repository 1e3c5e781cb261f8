"""Frames on the two sides of the host, and the chunking of large daemon messages.

Both sides carry one JSON message per frame: a 4-byte length, then that many bytes of
UTF-8 JSON. The browser writes the length in the machine's native byte order; the
daemon's socket always uses little-endian, so the wire format does not depend on the
machine. The browser refuses any message over 1 MiB from the host, so a larger daemon
message is cut into ``chunk`` messages that the extension puts back together.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Iterator

BROWSER_HEADER = struct.Struct("=I")  # native byte order, as Chromium writes it
SOCKET_HEADER = struct.Struct("<I")

# Chromium kills the port on a host→browser message of one byte more than this.
MAX_TO_BROWSER = 1024 * 1024
# Chromium itself refuses to send more than this; anything larger is not from a browser.
MAX_FROM_BROWSER = 64 * 1024 * 1024
# The daemon's messages are bounded by what the browser could ever receive, chunked.
MAX_FROM_DAEMON = 64 * 1024 * 1024

# Room in a chunk message for everything around its ``data`` text.
_CHUNK_ENVELOPE_ROOM = 512


class FramingError(Exception):
    """The peer sent something that is not a valid frame; the connection cannot go on."""


def read_frame(
    read: Callable[[int], bytes], header: struct.Struct, max_size: int, peer: str
) -> bytes | None:
    """Read one frame with ``read`` (which returns b"" at end of stream).

    Returns None when the stream ends cleanly between frames.
    """
    head = _read_exactly(read, header.size)
    if not head:
        return None
    if len(head) < header.size:
        raise FramingError(f"The {peer} closed the connection in the middle of a message.")
    (size,) = header.unpack(head)
    if size > max_size:
        raise FramingError(
            f"The {peer} sent a message of {size} bytes; the limit is {max_size} bytes."
        )
    body = _read_exactly(read, size)
    if len(body) < size:
        raise FramingError(f"The {peer} closed the connection in the middle of a message.")
    return body


def _read_exactly(read: Callable[[int], bytes], size: int) -> bytes:
    """Up to ``size`` bytes: fewer only when the stream ended."""
    parts: list[bytes] = []
    remaining = size
    while remaining:
        part = read(min(remaining, 1024 * 1024))
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def encode_frame(body: bytes, header: struct.Struct) -> bytes:
    return header.pack(len(body)) + body


def encode_json(message: object) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def messages_for_browser(body: bytes, fallback_id: str) -> Iterator[bytes]:
    """The browser-sized messages that carry one daemon message.

    A message within the browser's limit passes unchanged. A larger one becomes chunk
    messages, ``{"chunk": {"id", "index", "count", "data"}}``, whose ``data`` strings
    concatenate to the original JSON text. The chunk id is the message's own ``id``
    when it has one (answers and requests), else ``fallback_id`` (notifications).
    """
    if len(body) <= MAX_TO_BROWSER:
        yield body
        return
    try:
        text = body.decode("utf-8")
        message = json.loads(text)
    except (UnicodeDecodeError, ValueError) as error:
        raise FramingError("The daemon sent a message that is not UTF-8 JSON.") from error
    message_id = message.get("id") if isinstance(message, dict) else None
    chunk_id = message_id if isinstance(message_id, str) else fallback_id
    slices = list(_slices(text, MAX_TO_BROWSER - _CHUNK_ENVELOPE_ROOM - len(encode_json(chunk_id))))
    for index, data in enumerate(slices):
        yield encode_json(
            {"chunk": {"id": chunk_id, "index": index, "count": len(slices), "data": data}}
        )


def _slices(text: str, budget: int) -> Iterator[str]:
    """Consecutive slices of ``text``, each at most ``budget`` bytes once JSON-encoded.

    Escapes make a character cost 1 to 6 bytes, so each slice starts at the optimistic
    size and shrinks until its encoding fits.
    """
    start = 0
    while start < len(text):
        length = min(budget, len(text) - start)
        while True:
            encoded_size = len(encode_json(text[start : start + length]))
            if encoded_size <= budget:
                break
            length = max(1, length * budget // encoded_size - 1)
        yield text[start : start + length]
        start += length
