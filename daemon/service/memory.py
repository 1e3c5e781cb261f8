"""Giving memory back to the system after a large sync.

A first sync of 100,000 bookmarks builds several hundred megabytes of short-lived
objects. CPython frees them into its own arenas and glibc's heap, which keep the pages;
a daemon that lives for days should not sit on its peak. ``release_memory`` collects
cycles and asks glibc (when that is the C library) to return free heap pages.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to call
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release_memory() -> None:
    """Collect garbage and return free heap memory to the system where possible."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
