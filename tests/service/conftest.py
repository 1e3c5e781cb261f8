"""Fixtures for the daemon service tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.paths import Paths


@pytest.fixture
def short_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A FOXBRIDGE_HOME with a short path: Unix socket paths are limited to ~104 bytes."""
    home = Path(tempfile.mkdtemp(prefix="fb-", dir="/tmp"))
    monkeypatch.setenv("FOXBRIDGE_HOME", str(home))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def paths(short_home: Path) -> Paths:
    root = short_home
    made = Paths(root / "config", root / "data", root / "log", root / "run")
    made.ensure()
    return made
