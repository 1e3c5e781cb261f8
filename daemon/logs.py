"""Logging set-up: a rotating file for the daemon, stderr for ``--verbose``.

Log records pass through ``RedactingFilter``, a last line of defence: code must never
log a secret in the first place, but if a token-shaped value slips into a message it
is masked before it reaches a file.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

# 32+ hex digits (tokens, keys, key ids) and long base64 runs (keys, ciphertext).
_SECRET_SHAPES = re.compile(r"\b[0-9a-fA-F]{32,}\b|[A-Za-z0-9+/_-]{40,}={0,2}")


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_SHAPES.sub("[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        # A traceback ends with the exception's message, which may hold a value too. The
        # formatter prints exc_text when it is set, so it gets the redacted text.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _SECRET_SHAPES.sub("[redacted]", record.exc_text)
        return True


def configure(*, verbose: bool = False, log_file: Path | None = None) -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = []
    if verbose:
        handlers.append(logging.StreamHandler())
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
            )
        )
    if not handlers:
        handlers.append(logging.NullHandler())
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
