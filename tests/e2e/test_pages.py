"""What the extension's pages show when the daemon cannot be reached."""

from __future__ import annotations

import json
import sys

import pytest
from playwright.sync_api import expect

from host.launcher import DAEMON_COMMAND_ENV
from tests.e2e.browser import write_host_wrapper
from tests.e2e.conftest import EndToEnd, screenshot
from tests.e2e.daemon import daemon_running

pytestmark = pytest.mark.e2e


def test_the_pages_explain_a_daemon_that_cannot_start(e2e: EndToEnd) -> None:
    failing = json.dumps([sys.executable, "-c", "raise SystemExit(1)"])
    write_host_wrapper(e2e.root / "bin", e2e.home, {DAEMON_COMMAND_ENV: failing})
    profile = e2e.launch()

    popup = profile.open_page("popup.html")
    expect(popup.locator("#problem")).to_be_visible(timeout=30_000)
    expect(popup.locator("#problem-title")).to_contain_text("reach", ignore_case=True)
    # The host's own explanation (host.error) reaches every page.
    expect(popup.locator("#problem-text")).to_contain_text("did not start")
    screenshot(popup, "popup-daemon-unavailable")
    signin = profile.open_page("signin.html")
    expect(signin.locator("#connection-notice")).to_contain_text("did not start", timeout=30_000)
    screenshot(signin, "signin-daemon-unavailable")
    options = profile.open_page("options.html")
    options.set_viewport_size({"width": 900, "height": 900})
    expect(options.locator("#options-banner")).to_contain_text("did not start", timeout=30_000)
    screenshot(options, "options-daemon-unavailable")

    assert not daemon_running(e2e.home)
    assert "did not start" in (e2e.home / "host.stderr").read_text()
