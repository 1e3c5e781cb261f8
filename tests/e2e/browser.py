"""Driving real headless Chromium with the unpacked extension and the real host.

``launch_profile`` starts Chromium (Debian's build, never a downloaded one) on a
user-data-dir, after registering the real native host for that profile: a manifest in
``<user-data-dir>/NativeMessagingHosts/`` pointing at a small wrapper script that runs
``python -m host`` with this checkout's virtualenv and the test's ``FOXBRIDGE_HOME``.
``BrowserProfile`` wraps what the tests do with it: evaluate code in the extension's
service worker, read and write ``chrome.bookmarks``, open the extension's pages, and
wait for conditions with a deadline.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import BrowserContext, Page, Playwright, Worker

from host import HOST_NAME

REPO = Path(__file__).resolve().parents[2]
EXTENSION_DIR = REPO / "extension"
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")

# The recipe's flags: hermetic (no DNS but localhost, no background traffic), headless.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost",
    # With a D-Bus session bus (the real keyring's), Chromium would otherwise wait on the
    # Secret Service for its own cookie key, and the extension would not start in time.
    "--password-store=basic",
]

T = TypeVar("T")


class Timeout(AssertionError):
    pass


def wait_until(
    condition: Callable[[], T | None],
    what: str,
    timeout: float = 30.0,
    interval: float = 0.05,
) -> T:
    """Poll ``condition`` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval)  # bounded polling of observable state, not a fixed wait
    raise Timeout(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def write_host_wrapper(folder: Path, foxbridge_home: Path, extra_env: dict[str, str]) -> Path:
    """An executable that runs the real host the way an installed one would."""
    folder.mkdir(parents=True, exist_ok=True)
    foxbridge_home.mkdir(parents=True, exist_ok=True)  # the wrapper's stderr goes there
    wrapper = folder / "foxbridge-host"
    exports = {"FOXBRIDGE_HOME": str(foxbridge_home), "PYTHONPATH": str(REPO), **extra_env}
    lines = ["#!/bin/sh"]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in exports.items()]
    stderr_log = shlex.quote(str(foxbridge_home / "host.stderr"))
    lines.append(f'exec {shlex.quote(sys.executable)} -m host "$@" 2>>{stderr_log}')
    wrapper.write_text("\n".join(lines) + "\n")
    wrapper.chmod(0o755)
    return wrapper


def register_host(user_data_dir: Path, wrapper: Path, origin: str) -> Path:
    folder = user_data_dir / "NativeMessagingHosts"
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / f"{HOST_NAME}.json"
    manifest.write_text(
        json.dumps(
            {
                "name": HOST_NAME,
                "description": "foxbridge native host (test registration)",
                "path": str(wrapper),
                "type": "stdio",
                "allowed_origins": [origin],
            }
        )
    )
    return manifest


@dataclass
class BrowserProfile:
    context: BrowserContext
    user_data_dir: Path
    worker: Worker
    pages: list[Page] = field(default_factory=list)

    @property
    def extension_id(self) -> str:
        return self.worker.url.split("/")[2]

    @property
    def extension_url(self) -> str:
        return f"chrome-extension://{self.extension_id}"

    def evaluate(self, expression: str, arg: Any = None) -> Any:
        """Run JavaScript in the extension's service worker (promises are awaited)."""
        return self.worker.evaluate(expression, arg)

    # -- bookmarks, as the browser sees them -----------------------------------------------

    def tree(self) -> dict:
        return self.evaluate("chrome.bookmarks.getTree().then(t => t[0])")

    def find(self, **match: str) -> list[dict]:
        """Bookmarks and folders whose fields equal ``match`` (e.g. ``title="News"``)."""
        return self.evaluate(
            """match => chrome.bookmarks.getTree().then(([root]) => {
                const found = [];
                const walk = node => {
                    if (Object.entries(match).every(([k, v]) => node[k] === v)) {
                        const { children, ...item } = node;
                        found.push(item);
                    }
                    (node.children || []).forEach(walk);
                };
                walk(root);
                return found;
            })""",
            match,
        )

    def create(self, **details: Any) -> dict:
        return self.evaluate("d => chrome.bookmarks.create(d)", details)

    def update(self, node_id: str, **changes: Any) -> dict:
        return self.evaluate("([id, c]) => chrome.bookmarks.update(id, c)", [node_id, changes])

    def move(self, node_id: str, **destination: Any) -> dict:
        return self.evaluate("([id, d]) => chrome.bookmarks.move(id, d)", [node_id, destination])

    def remove(self, node_id: str) -> None:
        self.evaluate("id => chrome.bookmarks.removeTree(id)", node_id)

    def children(self, node_id: str) -> list[dict]:
        return self.evaluate("id => chrome.bookmarks.getChildren(id)", node_id)

    # -- the extension's pages ----------------------------------------------------------------

    def open_page(self, name: str) -> Page:
        page = self.context.new_page()
        page.goto(f"{self.extension_url}/{name}")
        self.pages.append(page)
        return page

    def close(self) -> None:
        self.context.close()


def launch_profile(
    playwright: Playwright,
    user_data_dir: Path,
    host_wrapper: Path,
    *,
    extension_dir: Path,
    origin: str,
    env: dict[str, str] | None = None,
) -> BrowserProfile:
    """Chromium on ``user_data_dir`` with the extension loaded and the real host registered.

    The host is registered before the browser starts, so the extension finds it even
    when it connects in its first instant.
    """
    register_host(user_data_dir, host_wrapper, origin)
    context = playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *CHROMIUM_FLAGS,
            # Playwright passes --disable-extensions by default; this overrides it.
            f"--disable-extensions-except={extension_dir}",
            f"--load-extension={extension_dir}",
        ],
        env=env,
        viewport={"width": 420, "height": 640},
    )
    worker = next(
        (w for w in context.service_workers if w.url.startswith("chrome-extension://")), None
    ) or context.wait_for_event("serviceworker", timeout=15_000)
    return BrowserProfile(context=context, user_data_dir=user_data_dir, worker=worker)
