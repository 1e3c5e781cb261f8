"""The native-messaging host manifest: what we write, and how a written one is checked."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from host import EXTENSION_ORIGIN, HOST_NAME
from install.machine import OS

MANIFEST_FILE = f"{HOST_NAME}.json"
DESCRIPTION = "foxbridge: keeps this browser's bookmarks in your Firefox Account"


def allowed_origins(extra: Iterable[str] = ()) -> list[str]:
    """Our fixed origin first, then the extra ones, without repeats."""
    origins = [EXTENSION_ORIGIN]
    for origin in extra:
        if origin not in origins:
            origins.append(origin)
    return origins


def manifest_text(launcher: Path, origins: list[str]) -> str:
    manifest = {
        "name": HOST_NAME,
        "description": DESCRIPTION,
        "path": str(launcher),
        "type": "stdio",
        "allowed_origins": origins,
    }
    return json.dumps(manifest, indent=2) + "\n"


def manifest_problem(text: str, os: OS) -> str | None:
    """What makes a manifest unusable for our extension, or ``None`` if it is fine.

    Checks what the browser checks (name, type, an absolute path, origins of the right
    shape) plus that our own extension is allowed.
    """
    try:
        manifest = json.loads(text)
    except ValueError:
        return "it is not valid JSON"
    if not isinstance(manifest, dict):
        return "it is not a JSON object"
    if manifest.get("name") != HOST_NAME:
        return f"its name is not {HOST_NAME!r}"
    if manifest.get("type") != "stdio":
        return "its type is not 'stdio'"
    path = manifest.get("path")
    if not isinstance(path, str) or not path:
        return "it names no launcher"
    if os is not OS.WINDOWS and not path.startswith("/"):
        return "its launcher path is not absolute"
    origins = manifest.get("allowed_origins")
    if not isinstance(origins, list) or EXTENSION_ORIGIN not in origins:
        return "it does not allow the foxbridge extension"
    return None


def launcher_in(text: str) -> str | None:
    """The launcher path a manifest names (``None`` if unreadable)."""
    try:
        manifest = json.loads(text)
    except ValueError:
        return None
    path = manifest.get("path") if isinstance(manifest, dict) else None
    return path if isinstance(path, str) else None


def is_origin(text: str) -> bool:
    """Whether ``text`` is an extension origin: ``chrome-extension://<32 letters a-p>/``."""
    prefix, suffix = "chrome-extension://", "/"
    if not (text.startswith(prefix) and text.endswith(suffix)):
        return False
    extension_id = text[len(prefix) : -len(suffix)]
    return len(extension_id) == 32 and set(extension_id) <= set("abcdefghijklmnop")
