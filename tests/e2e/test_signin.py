"""Signing in through the extension's own pages, with the emailed confirmation code."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Account, EndToEnd, screenshot
from tests.e2e.daemon import daemon_running

pytestmark = pytest.mark.e2e


def open_sign_in_from_popup(popup: Page) -> Page:
    with popup.context.expect_page() as new_tab:
        popup.get_by_role("button", name="Sign in").click()
    page = new_tab.value
    page.wait_for_load_state()
    assert page.url.endswith("/signin.html")
    return page


def test_sign_in_with_password_and_emailed_code(e2e: EndToEnd, account: Account) -> None:
    profile = e2e.launch()
    popup = profile.open_page("popup.html")
    # The extension's first connection started the daemon through the host.
    expect(popup.locator("body")).to_contain_text("signed out", ignore_case=True)
    assert daemon_running(e2e.home)
    screenshot(popup, "popup-signed-out")

    page = open_sign_in_from_popup(popup)
    screenshot(page, "signin-start")
    page.locator("#server-custom").check()
    page.locator("#custom-server-url").fill(e2e.stack.url)
    page.locator("#other-ways summary").click()
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    page.locator("#password-signin").click()

    expect(page.locator("#code-step")).to_be_visible()
    screenshot(page, "signin-code-step")
    page.locator("#code").fill(e2e.stack.stack.fxa.last_code(account.email))
    page.locator("#code-submit").click()
    expect(page.locator("#signin-done")).to_be_visible()
    expect(page.locator("#signin-done")).to_contain_text(account.email)
    screenshot(page, "signin-done")

    # The popup closed itself when it opened the tab, as popups do; open it again.
    popup = profile.open_page("popup.html")
    expect(popup.locator("#account")).to_contain_text(account.email)
    expect(popup.locator("#sync-card")).to_be_visible()
    expect(popup.locator("#state-headline")).not_to_have_text(re.compile("signed out", re.I))
    screenshot(popup, "popup-signed-in")
    options = profile.open_page("options.html")
    options.set_viewport_size({"width": 900, "height": 900})  # a tab, not a popup
    expect(options.locator("#account-email")).to_contain_text(account.email)
    screenshot(options, "options-signed-in")


def test_a_wrong_code_is_refused_and_a_right_one_accepted(e2e: EndToEnd, account: Account) -> None:
    profile = e2e.launch()
    page = profile.open_page("signin.html")
    page.locator("#server-custom").check()
    page.locator("#custom-server-url").fill(e2e.stack.url)
    page.locator("#other-ways summary").click()
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    page.locator("#password-signin").click()
    expect(page.locator("#code-step")).to_be_visible()
    right = e2e.stack.stack.fxa.last_code(account.email)
    page.locator("#code").fill("000000" if right != "000000" else "111111")
    page.locator("#code-submit").click()
    expect(page.locator("#signin-error")).to_be_visible()
    screenshot(page, "signin-wrong-code")
    page.locator("#code").fill(right)
    page.locator("#code-submit").click()
    expect(page.locator("#signin-done")).to_be_visible()


def test_a_wrong_password_is_explained(e2e: EndToEnd, account: Account) -> None:
    profile = e2e.launch()
    page = profile.open_page("signin.html")
    page.locator("#server-custom").check()
    page.locator("#custom-server-url").fill(e2e.stack.url)
    page.locator("#other-ways summary").click()
    page.locator("#email").fill(account.email)
    page.locator("#password").fill("not the password")
    page.locator("#password-signin").click()
    expect(page.locator("#signin-error")).to_be_visible()
    expect(page.locator("#signin-error")).to_contain_text("password", ignore_case=True)
    assert "not the password" not in page.content()
    screenshot(page, "signin-wrong-password")
