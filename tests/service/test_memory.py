"""Returning memory after a large sync."""

from __future__ import annotations

import platform
import weakref

import pytest

from daemon.service import memory


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_glibc_malloc_trim_is_found() -> None:
    assert memory._malloc_trim() is not None


def test_release_memory_collects_cycles() -> None:
    class Node:
        pass

    node = Node()
    node.self = node  # type: ignore[attr-defined]
    alive = weakref.ref(node)
    del node
    memory.release_memory()
    assert alive() is None
