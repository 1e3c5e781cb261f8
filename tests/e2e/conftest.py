"""Fixtures for the end-to-end tests: Playwright, short FOXBRIDGE_HOMEs, the real host's
wrapper, and a probe extension (the real extension's key, nothing else) that proves the
harness on its own."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, sync_playwright

from tests.e2e.browser import EXTENSION_DIR, unpacked_extension


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


def make_short_home(prefix: str) -> Path:
    # A Unix socket path must stay under ~100 bytes: pytest's tmp_path is too deep.
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


@pytest.fixture
def e2e_home() -> Iterator[Path]:
    home = make_short_home("fbe-")
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def extension(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real extension, as Chromium loads it unpacked."""
    return unpacked_extension(tmp_path_factory.mktemp("extension") / "foxbridge")


@pytest.fixture
def probe_extension(tmp_path: Path) -> Path:
    """An extension with the real one's key (so the same id) and an empty service worker."""
    real = json.loads((EXTENSION_DIR / "manifest.json").read_text())
    folder = tmp_path / "probe-extension"
    folder.mkdir()
    manifest = {
        "manifest_version": 3,
        "name": "foxbridge probe",
        "version": "0.0.1",
        "key": real["key"],
        "permissions": ["nativeMessaging", "bookmarks"],
        "background": {"service_worker": "background.js"},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "background.js").write_text("// Driven from the tests through Playwright.\n")
    return folder


def kill_from_pid_file(pid_file: Path) -> None:
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
