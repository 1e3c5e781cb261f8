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
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page, Playwright, expect, sync_playwright

from fxstack.testing import StackThread
from host import EXTENSION_ORIGIN
from tests.e2e.browser import (
    EXTENSION_DIR,
    BrowserProfile,
    launch_profile,
    write_host_wrapper,
)
from tests.e2e.daemon import DaemonClient, DaemonProcess, daemon_running, stop_daemon
from tests.e2e.remote import RemoteBookmarks

# Page assertions wait up to this long (Playwright's default is 5 s): a loaded CI machine
# stretching a password or starting the daemon can take longer than that.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    # Not session-wide: while it runs, its event loop counts as running in this thread, and
    # the asyncio tests collected after tests/e2e could not start theirs.
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
def extension() -> Path:
    """The real extension: the checkout's ``extension/`` folder, loaded unpacked."""
    return EXTENSION_DIR


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


def screenshot(page: Page, name: str) -> Path:
    """Save a screenshot where a person can look at it (FOXBRIDGE_E2E_SCREENSHOTS)."""
    folder = Path(os.environ.get("FOXBRIDGE_E2E_SCREENSHOTS", tempfile.gettempdir()))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def kill_from_pid_file(pid_file: Path) -> None:
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


# -- the world of one end-to-end test: stack, account, daemon, browser profiles -----------------


@dataclass(frozen=True)
class Account:
    email: str
    password: str = field(repr=False)


@pytest.fixture
def account(stack_thread: StackThread) -> Account:
    """An account whose sign-ins are confirmed with an emailed code (the usual case)."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        # Signed in, the daemon keeps the account's keys in the Secret Service, nowhere else.
        pytest.skip("signing in needs a Secret Service keyring: run with tests/run.sh")
    created = Account("e2e@example.com", "correct horse battery staple")
    stack_thread.stack.fxa.create_account(created.email, created.password)
    return created


class EndToEnd:
    """The pieces of one test, and the set-up steps that are not under test."""

    def __init__(
        self, playwright: Playwright, stack: StackThread, extension: Path, root: Path
    ) -> None:
        self.playwright = playwright
        self.stack = stack
        self.extension = extension
        self.root = root
        self.home = root / "foxbridge"  # FOXBRIDGE_HOME of the daemon and every host
        self.wrapper = write_host_wrapper(root / "bin", self.home, {})
        self.profiles: list[BrowserProfile] = []
        self._daemon: DaemonProcess | None = None

    def launch(self, name: str = "default") -> BrowserProfile:
        """Start Chromium on profile ``name`` (the same folder when launched again)."""
        profile = launch_profile(
            self.playwright,
            self.root / "profiles" / name,
            self.wrapper,
            extension_dir=self.extension,
            origin=EXTENSION_ORIGIN,
        )
        self.profiles.append(profile)
        return profile

    def start_daemon(self) -> None:
        if not daemon_running(self.home):
            self._daemon = DaemonProcess(self.home)

    def sign_in(self, account: Account) -> None:
        """Sign the daemon in over its socket, answering the emailed code."""
        self.start_daemon()
        with DaemonClient(self.home) as client:
            answer = client.request(
                "login.password",
                {"email": account.email, "password": account.password, "server": self.stack.url},
            )
            if answer.get("state") == "code-required":
                code = self.stack.stack.fxa.last_code(account.email)
                answer = client.request("login.code", {"code": code})
        assert answer == {"state": "signed-in"}, answer

    def remote(self, account: Account) -> RemoteBookmarks:
        return RemoteBookmarks(self.stack, account.email)

    def close(self) -> None:
        for profile in self.profiles:
            with contextlib.suppress(Exception):
                profile.close()
        if self._daemon is not None:
            self._daemon.stop()
        stop_daemon(self.home)  # the one a host started, if any


@pytest.fixture
def e2e(playwright: Playwright, stack_thread: StackThread, extension: Path) -> Iterator[EndToEnd]:
    root = make_short_home("fbe-")
    world = EndToEnd(playwright, stack_thread, extension, root)
    yield world
    world.close()
    shutil.rmtree(root, ignore_errors=True)
