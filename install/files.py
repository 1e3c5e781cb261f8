"""Writing files only when their content changes, so a second install touches nothing."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_if_changed(path: Path, text: str, *, mode: int = 0o644) -> bool:
    """Write ``text`` to ``path`` atomically unless it is there already; whether it wrote."""
    data = text.encode("utf-8")
    try:
        unchanged = path.read_bytes() == data
        if os.name == "posix":  # Windows has no mode bits beyond read-only
            unchanged = unchanged and (path.stat().st_mode & 0o777) == mode
    except (FileNotFoundError, NotADirectoryError):
        unchanged = False
    if unchanged:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def remove_file(path: Path) -> bool:
    """Remove ``path`` if it is there; whether it was."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def missing_folders(path: Path) -> list[Path]:
    """The folders above ``path`` that do not exist yet, outermost first."""
    missing = [parent for parent in path.parents if not parent.exists()]
    return list(reversed(missing))


def remove_folder_if_empty(folder: Path) -> None:
    # Not empty (someone else's files) or already gone: leave it.
    with contextlib.suppress(OSError):
        folder.rmdir()
