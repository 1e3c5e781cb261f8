"""Which callers the host serves.

The browser passes the calling extension's origin as the host's first argument. The
host serves foxbridge's own extension, whose id is fixed by the key in its manifest,
and any extra origins listed in ``allowed_origins.json`` in foxbridge's config folder
(the installer writes it for builds signed with another key, such as a store build):

    {"allowed_origins": ["chrome-extension://<32 letters a-p>/"]}

The browser already checks its copy of the host manifest; this second check keeps the
host from serving anything that reaches it some other way.
"""

from __future__ import annotations

import json

from host import EXTENSION_ORIGIN

_SCHEME = "chrome-extension://"
_ID_LETTERS = frozenset("abcdefghijklmnop")


def is_origin(text: str) -> bool:
    """Whether ``text`` has the shape of an extension origin: scheme, 32 letters a-p, "/"."""
    extension_id = text.removeprefix(_SCHEME).removesuffix("/")
    return (
        len(text) == len(_SCHEME) + 33
        and text.startswith(_SCHEME)
        and text.endswith("/")
        and len(extension_id) == 32
        and set(extension_id) <= _ID_LETTERS
    )


class OriginsFileError(Exception):
    """The allowed-origins file exists but cannot be used."""


def is_allowed(origin: str, origins_file: str) -> bool:
    """Whether ``origin`` may connect. Reads the file only for a non-default origin."""
    if origin == EXTENSION_ORIGIN:
        return True
    if not is_origin(origin):
        return False
    return origin in extra_origins(origins_file)


def extra_origins(origins_file: str) -> set[str]:
    """The origins listed in the file; none when it does not exist."""
    try:
        with open(origins_file, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        return set()
    except (OSError, UnicodeDecodeError) as error:
        raise OriginsFileError(f"Cannot read {origins_file}: {error}.") from error
    try:
        content = json.loads(text)
    except ValueError as error:
        raise OriginsFileError(f"{origins_file} is not valid JSON.") from error
    listed = content.get("allowed_origins") if isinstance(content, dict) else None
    if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
        raise OriginsFileError(f'{origins_file} must hold {{"allowed_origins": [<origin>, ...]}}.')
    bad = [item for item in listed if not is_origin(item)]
    if bad:
        raise OriginsFileError(
            f"{origins_file} lists {bad[0]!r}, which is not an origin of the form "
            "chrome-extension://<extension id>/."
        )
    return set(listed)
