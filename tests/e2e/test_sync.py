"""Bookmarks between real Chromium and the server, through the real host and daemon.

The server side is checked by decrypting its records with the account's keys, and
written the way Firefox writes (the item and its folder's ``children`` together).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import BrowserProfile, wait_until
from tests.e2e.conftest import Account, EndToEnd, screenshot
from tests.e2e.daemon import DaemonClient, daemon_pid, daemon_running, stop_daemon
from tests.e2e.remote import RemoteBookmarks

pytestmark = pytest.mark.e2e

BAR, OTHER = "1", "2"  # Chrome's Bookmarks bar and Other bookmarks


def bar_titles(profile: BrowserProfile) -> list[str]:
    return [node["title"] for node in profile.children(BAR)]


def first_synced(e2e: EndToEnd, account: Account, name: str = "default") -> BrowserProfile:
    """A profile of a signed-in daemon, once its first sync has finished."""
    e2e.sign_in(account)
    profile = e2e.launch(name)
    # Firefox's Bookmarks Menu shows up as a folder in Other bookmarks: the first sync ran.
    wait_until(lambda: profile.find(title="Bookmarks Menu"), "the first sync")
    return profile


def sync_now(e2e: EndToEnd) -> None:
    with DaemonClient(e2e.home) as client:
        client.request("sync.now")


def on_server(remote: RemoteBookmarks, what: str, **match: object) -> dict:
    return wait_until(lambda: remote.find(**match), what)[0]


def test_a_bookmark_created_in_the_browser_reaches_the_server(
    e2e: EndToEnd, account: Account
) -> None:
    profile = first_synced(e2e, account)
    remote = e2e.remote(account)
    profile.create(parentId=BAR, title="First", url="https://first.example/")
    profile.create(parentId=BAR, title="Second", url="https://second.example/")

    record = on_server(remote, "the record of 'Second'", bmkUri="https://second.example/")
    assert record["type"] == "bookmark"
    assert record["title"] == "Second"
    assert record["parentid"] == "toolbar"
    assert remote.children_titles("toolbar") == ["First", "Second"]


def test_a_firefox_record_appears_in_the_right_folder_and_position(
    e2e: EndToEnd, account: Account
) -> None:
    profile = first_synced(e2e, account)
    remote = e2e.remote(account)
    profile.create(parentId=BAR, title="A", url="https://a.example/")
    profile.create(parentId=BAR, title="B", url="https://b.example/")
    on_server(remote, "B on the server", bmkUri="https://b.example/")

    remote.insert("toolbar", 1, title="From Firefox", url="https://firefox.example/")
    folder = remote.insert("unfiled", 0, title="Firefox folder")
    remote.insert(folder, 0, title="Inside", url="https://inside.example/")
    popup = profile.open_page("popup.html")
    popup.get_by_role("button", name="Sync now").click()

    wait_until(lambda: bar_titles(profile) == ["A", "From Firefox", "B"], "the bar's new order")
    [inside] = wait_until(lambda: profile.find(title="Inside"), "the nested bookmark")
    [chrome_folder] = profile.find(title="Firefox folder")
    assert inside["parentId"] == chrome_folder["id"]
    assert inside["url"] == "https://inside.example/"
    assert chrome_folder["parentId"] == OTHER


def test_rename_move_and_delete_in_the_browser_reach_the_server(
    e2e: EndToEnd, account: Account
) -> None:
    profile = first_synced(e2e, account)
    remote = e2e.remote(account)
    keep = profile.create(parentId=BAR, title="Keep", url="https://keep.example/")
    moving = profile.create(parentId=BAR, title="Moving", url="https://moving.example/")
    doomed = profile.create(parentId=BAR, title="Doomed", url="https://doomed.example/")
    on_server(remote, "the three bookmarks", bmkUri="https://doomed.example/")
    guid_of = {r["title"]: r["id"] for r in remote.live().values() if "title" in r}

    profile.update(keep["id"], title="Kept")
    wait_until(lambda: remote.live()[guid_of["Keep"]]["title"] == "Kept", "the rename")

    profile.move(moving["id"], parentId=OTHER, index=0)
    wait_until(
        lambda: remote.live()[guid_of["Moving"]]["parentid"] == "unfiled", "the move's parentid"
    )
    assert remote.live()["unfiled"]["children"][0] == guid_of["Moving"]
    assert guid_of["Moving"] not in remote.live()["toolbar"]["children"]

    profile.remove(doomed["id"])
    wait_until(lambda: remote.records()[guid_of["Doomed"]].get("deleted"), "the tombstone")
    assert remote.children_titles("toolbar") == ["Kept"]


def test_rename_move_and_delete_on_the_server_reach_the_browser(
    e2e: EndToEnd, account: Account
) -> None:
    profile = first_synced(e2e, account)
    remote = e2e.remote(account)
    remote.set_up()
    keep = remote.insert("toolbar", 0, title="Keep", url="https://keep.example/")
    moving = remote.insert("toolbar", 1, title="Moving", url="https://moving.example/")
    doomed = remote.insert("toolbar", 2, title="Doomed", url="https://doomed.example/")
    sync_now(e2e)
    wait_until(lambda: bar_titles(profile) == ["Keep", "Moving", "Doomed"], "the three")

    remote.rename(keep, "Kept")
    remote.move(moving, "unfiled", 0)
    remote.delete(doomed)
    sync_now(e2e)

    wait_until(lambda: bar_titles(profile) == ["Kept"], "the rename and the removals")
    [moved] = profile.find(title="Moving")
    assert moved["parentId"] == OTHER
    # Other bookmarks also holds the folder that shows Firefox's Bookmarks Menu.
    assert [n["title"] for n in profile.children(OTHER)] == ["Bookmarks Menu", "Moving"]
    assert profile.find(title="Doomed") == []


def test_two_profiles_share_one_daemon(e2e: EndToEnd, account: Account) -> None:
    work = first_synced(e2e, account, "work")
    daemon = daemon_pid(e2e.home)
    home = e2e.launch("home")
    wait_until(lambda: home.find(title="Bookmarks Menu"), "the second profile's first sync")
    assert daemon_pid(e2e.home) == daemon  # the second host found the running daemon

    work.create(parentId=BAR, title="From work", url="https://work.example/")
    on_server(e2e.remote(account), "the work bookmark", bmkUri="https://work.example/")
    sync_now(e2e)
    wait_until(lambda: home.find(title="From work"), "the work bookmark in the home profile")
    home.create(parentId=BAR, title="From home", url="https://home.example/")
    on_server(e2e.remote(account), "the home bookmark", bmkUri="https://home.example/")
    sync_now(e2e)
    wait_until(lambda: work.find(title="From home"), "the home bookmark in the work profile")
    assert bar_titles(work) == bar_titles(home) == ["From work", "From home"]


def test_changes_made_while_the_browser_was_closed_arrive_when_it_reopens(
    e2e: EndToEnd, account: Account
) -> None:
    profile = first_synced(e2e, account)
    remote = e2e.remote(account)
    profile.create(parentId=BAR, title="Before", url="https://before.example/")
    on_server(remote, "the bookmark made before closing", bmkUri="https://before.example/")
    profile.close()
    e2e.profiles.remove(profile)

    remote.insert("toolbar", 1, title="While closed", url="https://while-closed.example/")
    reopened = e2e.launch()  # the same user-data-dir
    wait_until(
        lambda: bar_titles(reopened) == ["Before", "While closed"],
        "the change made while the browser was closed",
    )
    assert len(reopened.find(title="Before")) == 1  # matched, not duplicated


def test_the_safety_brake_is_shown_in_the_popup_and_confirmed(
    e2e: EndToEnd, account: Account
) -> None:
    profile = first_synced(e2e, account)
    remote = e2e.remote(account)
    work = profile.create(parentId=BAR, title="Work")
    for number in range(10):
        profile.create(
            parentId=work["id"], title=f"Work {number}", url=f"https://w{number}.example/"
        )
    profile.create(parentId=BAR, title="Personal", url="https://personal.example/")
    on_server(remote, "the last work bookmark", bmkUri="https://w9.example/")
    on_server(remote, "the personal bookmark", bmkUri="https://personal.example/")

    # Another client deletes the whole folder: 11 of the browser's 13 items would go.
    [folder] = remote.find(title="Work", type="folder")
    remote.delete(folder["id"])
    sync_now(e2e)

    popup = profile.open_page("popup.html")
    expect(popup.locator("#problem")).to_be_visible(timeout=30_000)
    expect(popup.locator("#brake-preview-box")).to_be_visible()
    expect(popup.locator("#brake-preview")).to_contain_text("Work")
    screenshot(popup, "popup-brake")
    assert len(profile.find(title="Work")) == 1  # nothing was deleted before confirming
    assert len(profile.children(work["id"])) == 10

    popup.locator("#problem-action").click()
    wait_until(lambda: profile.find(title="Work") == [], "the confirmed deletion")
    assert bar_titles(profile) == ["Personal"]
    expect(popup.locator("#problem")).to_be_hidden(timeout=30_000)
    screenshot(popup, "popup-after-brake")


def test_a_first_sync_larger_than_a_browser_message_arrives_whole(
    e2e: EndToEnd, account: Account
) -> None:
    # 2,500 bookmarks with long titles: the daemon's tree.apply is well over the 1 MiB a
    # host may send the browser at once, so it crosses in chunks.
    remote = e2e.remote(account)
    remote.set_up()
    long_title = "A rather long bookmark title, as people keep them " * 8
    folders = [
        {
            "title": f"Folder {f}",
            "children": [
                {"title": f"{long_title}{f}-{b}", "url": f"https://s{f}.example/{b}"}
                for b in range(100)
            ],
        }
        for f in range(25)
    ]
    remote.insert_tree("unfiled", folders)
    profile = first_synced(e2e, account)
    count = "() => chrome.bookmarks.search({query: 'rather long'}).then(found => found.length)"
    wait_until(lambda: profile.evaluate(count) == 2500, "all 2,500 bookmarks", timeout=120)
    folder = profile.find(title="Folder 24")[0]
    last = profile.children(folder["id"])[-1]
    assert last["title"] == f"{long_title}24-99"
    assert last["url"] == "https://s24.example/99"


def test_the_daemon_is_started_again_after_it_stops(e2e: EndToEnd, account: Account) -> None:
    profile = first_synced(e2e, account)
    first = daemon_pid(e2e.home)
    stop_daemon(e2e.home)
    # The host sees the socket close and exits; the extension reconnects, and the new
    # host starts a new daemon, which is still signed in.
    wait_until(lambda: daemon_running(e2e.home) and daemon_pid(e2e.home) != first, "a new daemon")
    profile.create(parentId=BAR, title="After restart", url="https://after.example/")
    on_server(e2e.remote(account), "the bookmark made after", bmkUri="https://after.example/")


def test_a_separator_chrome_cannot_show_stays_on_the_server(
    e2e: EndToEnd, account: Account
) -> None:
    profile = first_synced(e2e, account)
    remote = e2e.remote(account)
    first = remote.insert("toolbar", 0, title="Before the line", url="https://before.example/")
    separator = remote.insert_separator("toolbar", 1)
    last = remote.insert("toolbar", 2, title="After the line", url="https://after.example/")
    sync_now(e2e)
    wait_until(
        lambda: bar_titles(profile) == ["Before the line", "After the line"], "the two bookmarks"
    )

    # A change in the browser rewrites the toolbar's record; the separator must survive it.
    profile.create(parentId=BAR, title="New", url="https://new.example/")
    new = on_server(remote, "the new bookmark", bmkUri="https://new.example/")
    toolbar = remote.live()["toolbar"]["children"]
    assert toolbar == [first, separator, last, new["id"]]
    assert remote.live()[separator]["type"] == "separator"


def test_the_first_sync_merges_both_sides_without_duplicates(
    e2e: EndToEnd, account: Account
) -> None:
    profile = e2e.launch()  # signed out: the browser's bookmarks are its own for now
    profile.create(parentId=BAR, title="Shared", url="https://shared.example/")
    profile.create(parentId=BAR, title="Only here", url="https://only-here.example/")
    remote = e2e.remote(account)
    remote.set_up()
    remote.insert("toolbar", 0, title="Shared", url="https://shared.example/")
    remote.insert("toolbar", 1, title="Only in Firefox", url="https://only-firefox.example/")

    e2e.sign_in(account)
    wait_until(lambda: profile.find(title="Only in Firefox"), "the Firefox bookmark")
    on_server(remote, "the browser's own bookmark", bmkUri="https://only-here.example/")
    assert len(profile.find(url="https://shared.example/")) == 1
    assert len(remote.find(bmkUri="https://shared.example/")) == 1
    everything = ["Only here", "Only in Firefox", "Shared"]
    assert sorted(bar_titles(profile)) == everything
    assert sorted(remote.children_titles("toolbar")) == everything
