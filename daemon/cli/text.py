"""Text from the server or a browser, made safe to print on a terminal (pure).

Bookmark titles and URLs come from every device on the account. Printed as they are, a
control character could start an escape sequence that rewrites the terminal (its title,
its colours, what earlier lines seem to say), and a bidirectional override could make a
line read differently from what it holds. Such characters are shown as escapes instead.
"""

from __future__ import annotations

import unicodedata

# Bidirectional embeddings, overrides and isolates (format characters that reorder text);
# other format characters, such as the joiners of emoji sequences, are printed as they are.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: object) -> str:
    """``text`` as a string with control characters replaced by ``\\x1b``-style escapes."""
    return "".join(_escaped(char) for char in str(text))


def _escaped(char: str) -> str:
    if char in _BIDI_CONTROLS:
        return f"\\u{ord(char):04x}"
    if unicodedata.category(char) == "Cc":
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    return char
