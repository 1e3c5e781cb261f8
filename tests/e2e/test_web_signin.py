"""Signing in on the account server's own page, in real headless Chromium.

The extension asks the daemon for a sign-in, opens the stack's double of the account page
in a tab, and its content script plays Firefox's side of the page's WebChannel. The user
(Playwright) types the email, password and emailed code into the page — never into
foxbridge. Every native-messaging frame between the browser and the host is recorded (the
host's wrapper tees its stdin and stdout), and with the daemon's files checked for the
password afterwards.

The stack's page is on a loopback origin, which the extension's manifest covers with the
same content script as Mozilla's page, so no permission prompt (which would need a real
user gesture in headless Chromium) is involved.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import REPO, BrowserProfile, wait_until
from tests.e2e.conftest import Account, EndToEnd, screenshot
from tests.e2e.daemon import DaemonClient

pytestmark = pytest.mark.e2e

BAR = "1"  # Chrome's Bookmarks bar


def record_native_frames(e2e: EndToEnd) -> tuple[Path, Path]:
    """Make the host's wrapper copy every frame the browser sends and receives to files."""
    to_host, from_host = e2e.root / "frames-to-host", e2e.root / "frames-from-host"
    lines = e2e.wrapper.read_text().splitlines()
    run = lines[-1]
    assert run.startswith("exec "), run
    command = run[len("exec ") :]
    lines[-1] = (
        f"tee -a {shlex.quote(str(to_host))} | {command} | tee -a {shlex.quote(str(from_host))}"
    )
    e2e.wrapper.write_text("\n".join(lines) + "\n")
    return to_host, from_host


def server_url(e2e: EndToEnd) -> str:
    """The stack by name: the browser's resolver rules leave only ``localhost`` reachable."""
    return e2e.stack.url.replace("//127.0.0.1:", "//localhost:")


def start_web_sign_in(e2e: EndToEnd, profile: BrowserProfile) -> tuple[Page, Page]:
    """From the extension's sign-in page: the account page, opened by the extension."""
    signin = profile.open_page("signin.html")
    expect(signin.locator("#web-signin")).to_be_enabled()
    signin.locator("#server-custom").check()
    signin.locator("#custom-server-url").fill(server_url(e2e))
    with profile.context.expect_page() as opened:
        signin.locator("#web-signin").click()
    page = opened.value
    page.wait_for_load_state()
    assert page.url.startswith(server_url(e2e) + "/?context=oauth_webchannel_v1&"), page.url
    expect(signin.locator("#web-waiting")).to_be_visible()
    return signin, page


def type_into_account_page(e2e: EndToEnd, page: Page, account: Account) -> None:
    """What the user does on the account's page: password, then the emailed code."""
    expect(page.locator("#password-view")).to_be_visible()
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    screenshot(page, "web-signin-account-page")
    page.locator("#sign-in").click()
    # The page waits for the browser's can_link_account answer before it goes on.
    expect(page.locator("#code-view")).to_be_visible()
    page.locator("#code").fill(e2e.stack.stack.fxa.last_code(account.email))
    page.locator("#confirm").click()


def wait_for_close(page: Page) -> None:
    """The extension closes the account page's tab once the daemon is signed in."""
    if not page.is_closed():  # Playwright only learns of events while it waits for one
        page.wait_for_event("close", timeout=30_000)


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file() and not path.is_socket()]


def test_sign_in_on_the_account_page_then_sync(e2e: EndToEnd, account: Account) -> None:
    to_host, from_host = record_native_frames(e2e)
    profile = e2e.launch()
    signin, page = start_web_sign_in(e2e, profile)
    type_into_account_page(e2e, page, account)

    # The content script handed the code over; the daemon redeemed it; the tab is gone.
    expect(signin.locator("#signin-done")).to_be_visible()
    expect(signin.locator("#signin-done")).to_contain_text(account.email)
    wait_for_close(page)
    screenshot(signin, "web-signin-done")
    with DaemonClient(e2e.home) as client:
        status = client.request("status")
    assert status["signed_in"] is True and status["email"] == account.email

    # Signed in this way, the daemon syncs like after any other sign-in.
    wait_until(lambda: profile.find(title="Bookmarks Menu"), "the first sync")
    profile.create(parentId=BAR, title="Via the page", url="https://page.example/")
    remote = e2e.remote(account)
    record = wait_until(lambda: remote.find(bmkUri="https://page.example/"), "the record")[0]
    assert record["title"] == "Via the page"

    # The password went only to the account page: no frame, log or file of foxbridge has it.
    frames = to_host.read_bytes() + from_host.read_bytes()
    assert b"login.web.complete" in frames  # the recording did record the sign-in
    assert account.password.encode() not in frames
    assert b"sessionToken" not in frames
    for path in files_under(e2e.home):
        assert account.password.encode() not in path.read_bytes(), path


def test_an_answer_with_another_state_is_refused(e2e: EndToEnd, account: Account) -> None:
    e2e.stack.stack.signin.set_knobs(wrong_state=True)
    to_host, _ = record_native_frames(e2e)
    profile = e2e.launch()
    signin, page = start_web_sign_in(e2e, profile)
    type_into_account_page(e2e, page, account)
    expect(page.locator("#done-view")).to_be_visible()  # the page thinks it is done

    # The content script did not pass the code on: the daemon never heard of it.
    with DaemonClient(e2e.home) as client:
        status = client.request("status")
    assert status["signed_in"] is False
    assert b"login.web.complete" not in to_host.read_bytes()
    assert not page.is_closed()
    expect(signin.locator("#web-waiting")).to_be_visible()
    # Nothing for the page's oauth_login in the page's record of the browser's answers.
    answers = page.evaluate("sessionStorage.getItem('webChannelEvents')") or "[]"
    assert "fxaccounts:can_link_account" in answers
    assert "fxaccounts:oauth_login" not in answers


def test_login_browser_from_a_terminal_opens_the_page_in_the_browser(
    e2e: EndToEnd, account: Account
) -> None:
    profile = e2e.launch()
    signin = profile.open_page("signin.html")
    expect(signin.locator("#web-signin")).to_be_enabled()  # the browser is connected
    with profile.context.expect_page() as opened:
        cli = subprocess.Popen(
            [sys.executable, "-m", "daemon", "login", "--browser", "--server", server_url(e2e)],
            cwd=REPO,
            env={**os.environ, "FOXBRIDGE_HOME": str(e2e.home), "PYTHONPATH": str(REPO)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        page = opened.value
        page.wait_for_load_state()
        assert page.url.startswith(server_url(e2e) + "/?context=oauth_webchannel_v1&")
        type_into_account_page(e2e, page, account)
        out, err = cli.communicate(timeout=60)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    assert cli.returncode == 0, err
    assert f"Signed in as {account.email}" in out
    wait_for_close(page)
