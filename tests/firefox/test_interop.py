"""Real Firefox ESR and foxbridge sync bookmarks with each other through the local stack.

Firefox is the reference client: it must accept the account set-up foxbridge creates,
foxbridge must adopt Firefox's, every edit on either side must reach the other, what
only Firefox can show (separators, tags, keywords) must survive foxbridge's writes, and
Firefox's own validator must find nothing wrong with the server's tree afterwards.
One Firefox serves the whole module; each test signs it in to a fresh account.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from daemon.fxa.credentials import StaticCredentials, SyncKey
from daemon.sync.client import OutgoingRecord, SyncClient
from fxstack.sync.db import Query
from fxstack.testing import StackThread
from tests.bookmarks.sync_support import check_server_consistent
from tests.firefox.chrome_profile import ChromeProfile
from tests.firefox.outline import chrome_outline, firefox_outline
from tests.firefox.peer import FIREFOX, FirefoxAccount, FirefoxPeer

pytestmark = [
    pytest.mark.firefox,
    pytest.mark.skipif(
        not Path(FIREFOX).exists() and shutil.which("firefox-esr") is None,
        reason="Firefox ESR is not installed (apt-get install firefox-esr)",
    ),
]
PASSWORD = "correct horse battery staple"
ROOT_IDS = {"menu", "toolbar", "unfiled", "mobile"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackThread]:
    with StackThread(storage_db=tmp_path_factory.mktemp("stack") / "storage.sqlite") as running:
        yield running


@pytest.fixture(scope="module")
def firefox(stack: StackThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirefoxPeer]:
    with FirefoxPeer(tmp_path_factory.mktemp("firefox") / "profile", stack.url) as peer:
        yield peer


@dataclass
class Peers:
    """One empty account, Firefox signed out of any other (and emptied), and a Chrome
    profile signed in with foxbridge."""

    stack: StackThread
    account: Any
    firefox: FirefoxPeer
    chrome: ChromeProfile

    def connect_firefox(self) -> None:
        session = self.stack.stack.fxa.new_verified_session(self.account.email)
        self.firefox.sign_in(
            FirefoxAccount(
                self.account.email, self.account.uid, session, self.account.ksync, self.account.kid
            )
        )

    def stored(self, collection: str, bso_id: str) -> Any:
        sync = self.stack.stack.sync
        return sync.db.get_bso(sync.storage_uid(self.account.uid), collection, bso_id)

    def server_stamps(self) -> dict[str, int]:
        """When each bookmark record on the server was last written, by id."""
        sync = self.stack.stack.sync
        bsos, _ = sync.db.query(sync.storage_uid(self.account.uid), "bookmarks", Query())
        return {bso.id: bso.modified for bso in bsos}

    def put_records(self, *cleartexts: dict[str, Any]) -> None:
        """Write bookmark records as some other client would, setting the account up if
        it is empty."""

        async def put() -> None:
            async with aiohttp.ClientSession() as http:
                client = await SyncClient.connect(self._credentials(), http=http)
                await client.engine_ids("bookmarks", version=2)
                records = [OutgoingRecord(c["id"], c) for c in cleartexts]
                await client.upload("bookmarks", records, if_unmodified_since=None)

        asyncio.run(put())

    def _credentials(self) -> StaticCredentials:
        return StaticCredentials(
            f"{self.stack.url}/token",
            SyncKey(self.account.ksync, self.account.kid),
            self.stack.stack.fxa.issue_access_token(self.account.uid),
        )

    def server_records(self) -> dict[str, dict[str, Any]]:
        """Every bookmark record on the server, decrypted, by id."""

        async def download() -> dict[str, dict[str, Any]]:
            async with aiohttp.ClientSession() as http:
                client = await SyncClient.connect(self._credentials(), http=http)
                records = (await client.download("bookmarks")).records
            return {record.id: record.cleartext for record in records}

        return asyncio.run(download())

    def assert_same_bookmarks(self) -> None:
        assert firefox_outline(self.firefox.tree()) == chrome_outline(self.chrome.tree())

    def assert_server_tree_sound(self) -> None:
        """Firefox's validator (run by its last sync) and our own reading of the records."""
        assert self.firefox.validation_problems() == {}
        records = self.server_records()
        live = [guid for guid, record in records.items() if not record.get("deleted")]
        assert self.firefox.last_validation is not None
        assert self.firefox.last_validation.checked >= len(live)  # it saw the whole tree
        check_server_consistent(records)


@pytest.fixture
def peers(stack: StackThread, firefox: FirefoxPeer, tmp_path: Path, request) -> Peers:
    email = f"{request.node.name.replace('_', '-')}@example.org"
    account = stack.stack.fxa.create_account(email, PASSWORD, verification="none")
    firefox.sign_out()
    firefox.erase_everything()
    chrome = ChromeProfile(tmp_path / "chrome", stack.url)
    chrome.login(email, PASSWORD)
    return Peers(stack, account, firefox, chrome)


def firefox_tree(firefox: FirefoxPeer, spec: dict[str, list[Any]]) -> dict[str, str]:
    """Create bookmarks in Firefox from {root guid: [(title, url) | (title, [children])]};
    returns the GUID of each title."""
    guids: dict[str, str] = {}

    def add(parent: str, items: list[Any]) -> None:
        for title, content in items:
            if isinstance(content, list):
                guids[title] = firefox.insert(parent, title=title, kind="folder")
                add(guids[title], content)
            else:
                guids[title] = firefox.insert(parent, title=title, url=content)

    for root, items in spec.items():
        add(root, items)
    return guids


# -- who sets the account up -------------------------------------------------------------


def test_firefox_first_then_foxbridge_adopts_its_setup(peers: Peers):
    peers.connect_firefox()
    firefox_tree(
        peers.firefox,
        {
            "toolbar_____": [
                (
                    "Work",
                    [("Tracker", "https://tracker.example/"), ("Wiki", "https://wiki.example/")],
                ),
                ("News", "https://news.example/"),
            ],
            "menu________": [("From the menu", "https://menu.example/")],
            "unfiled_____": [("Unsorted", "https://unsorted.example/")],
        },
    )
    peers.firefox.sync()  # the empty account: Firefox writes meta/global and crypto/keys
    meta, keys = peers.stored("meta", "global"), peers.stored("crypto", "keys")
    assert meta is not None and keys is not None

    firefox_wrote = peers.server_stamps()
    report = peers.chrome.sync()
    assert report["uploaded"] == 0  # nothing of Firefox's needed rewriting
    assert peers.server_stamps() == firefox_wrote
    assert peers.stored("meta", "global") == meta  # adopted, not rewritten
    assert peers.stored("crypto", "keys") == keys
    outline = chrome_outline(peers.chrome.tree())
    assert outline["toolbar"] == [
        ("Work", [("Tracker", "https://tracker.example/"), ("Wiki", "https://wiki.example/")]),
        ("News", "https://news.example/"),
    ]
    assert outline["menu"] == [("From the menu", "https://menu.example/")]

    peers.firefox.sync()
    peers.assert_same_bookmarks()
    check_server_consistent(peers.server_records())


def test_foxbridge_first_then_firefox_accepts_its_setup(peers: Peers):
    peers.chrome.write(
        _chrome_tree(
            bar=[
                (
                    "Reading",
                    [("Article", "https://article.example/"), ("Paper", "https://paper.example/")],
                ),
                ("Search", "https://search.example/"),
            ],
            other=[("Later", "https://later.example/")],
            mobile=[("Phone", "https://phone.example/")],
        )
    )
    peers.chrome.sync()  # the empty account: foxbridge writes meta/global and crypto/keys
    meta, keys = peers.stored("meta", "global"), peers.stored("crypto", "keys")
    assert json.loads(meta.payload)["engines"]["bookmarks"]["version"] == 2

    we_wrote = peers.server_stamps()
    peers.connect_firefox()
    peers.firefox.sync()
    # Firefox repaired none of our records; it only writes its own roots (its emptied
    # local roots count as changed, and their values win).
    rewritten = {
        guid for guid, stamp in peers.server_stamps().items() if we_wrote.get(guid) != stamp
    }
    assert rewritten <= ROOT_IDS
    assert peers.stored("meta", "global") == meta  # Firefox did not start over
    assert peers.stored("crypto", "keys") == keys
    peers.assert_server_tree_sound()
    peers.assert_same_bookmarks()

    peers.chrome.sync()  # whatever Firefox uploaded in return changes nothing for us
    peers.assert_same_bookmarks()


def test_firefox_validator_reports_a_broken_server_tree(peers: Peers):
    """The validator the other tests rely on is real: it sees what is wrong."""

    def bookmark(guid: str, parent: str) -> dict[str, Any]:
        url = f"https://{guid.lower()}.example/"
        return {"id": guid, "type": "bookmark", "parentid": parent, "title": guid, "bmkUri": url}

    def root(guid: str, children: list[str]) -> dict[str, Any]:
        return {
            "id": guid,
            "type": "folder",
            "parentid": "places",
            "title": guid,
            "children": children,
        }

    peers.put_records(
        root("toolbar", ["missingChild", "disagreeing_"]),
        root("unfiled", []),
        bookmark("disagreeing_", "unfiled"),  # listed by the toolbar, claims unfiled
        bookmark("orphanedItem", "nowhereAtAll"),  # its parent does not exist
    )
    peers.connect_firefox()
    peers.firefox.sync()
    # Firefox counts the orphan as disagreeing too: its parentid names no folder that
    # lists it.
    assert peers.firefox.validation_problems() == {
        "missingChildren": 1,
        "parentChildDisagreements": 2,
    }


# -- edits on both sides ---------------------------------------------------------------------


def test_edits_on_each_side_reach_the_other(peers: Peers):
    peers.connect_firefox()
    guids = firefox_tree(
        peers.firefox,
        {
            "toolbar_____": [
                (
                    "Projects",
                    [("Alpha", "https://alpha.example/"), ("Beta", "https://beta.example/")],
                ),
                ("Archive", [("Old", "https://old.example/")]),
                ("One", "https://one.example/"),
                ("Two", "https://two.example/"),
                ("Three", "https://three.example/"),
            ],
            "unfiled_____": [("Loose", "https://loose.example/")],
        },
    )
    peers.firefox.sync()
    peers.chrome.sync()
    peers.assert_same_bookmarks()

    # Chrome: create, rename, move to another folder, reorder, delete.
    chrome = peers.chrome
    bar = chrome.root("bookmarks-bar")
    chrome.create(chrome.find("Projects"), "Gamma", "https://gamma.example/")
    chrome.rename(chrome.find("Alpha"), "Alpha (renamed in Chrome)")
    chrome.move(chrome.find("Beta"), chrome.find("Archive"), 0)
    chrome.move(chrome.find("Three"), bar, 0)
    chrome.remove(chrome.find("Loose"))
    chrome.sync()
    peers.firefox.sync()
    peers.assert_server_tree_sound()
    peers.assert_same_bookmarks()
    assert chrome.children(bar) == ["Three", "Projects", "Archive", "One", "Two"]

    # Firefox: the same kinds of edits.
    firefox = peers.firefox
    firefox.insert(guids["Archive"], title="Delta", url="https://delta.example/")
    firefox.update(guids["Old"], title="Old (renamed in Firefox)")
    firefox.update(guids["One"], parentGuid=guids["Projects"], index=0)
    firefox.update(guids["Two"], parentGuid="toolbar_____", index=0)
    firefox.remove(guids["Three"])
    firefox.sync()
    chrome.sync()
    firefox.sync()
    peers.assert_same_bookmarks()
    assert chrome.children(bar) == ["Two", "Projects", "Archive"]
    assert chrome.children(chrome.find("Projects")) == [
        "One",
        "Alpha (renamed in Chrome)",
        "Gamma",
    ]

    # Both at once, on different items, before either syncs.
    chrome.rename(chrome.find("Gamma"), "Gamma (Chrome)")
    chrome.remove(chrome.find("Archive"))  # with Beta, Delta and Old in it
    chrome.create(bar, "Epsilon", "https://epsilon.example/", index=1)
    firefox.update(guids["Alpha"], parentGuid="toolbar_____", index=-1)
    firefox.insert("unfiled_____", title="Zeta", url="https://zeta.example/")
    chrome.sync()
    firefox.sync()
    peers.assert_server_tree_sound()
    chrome.sync()
    firefox.sync()
    peers.assert_same_bookmarks()
    outline = chrome_outline(chrome.tree())
    assert outline["toolbar"] == [
        ("Two", "https://two.example/"),
        ("Epsilon", "https://epsilon.example/"),
        (
            "Projects",
            [("One", "https://one.example/"), ("Gamma (Chrome)", "https://gamma.example/")],
        ),
        ("Alpha (renamed in Chrome)", "https://alpha.example/"),
    ]
    assert outline["unfiled"] == [("Zeta", "https://zeta.example/")]


# -- what only Firefox has -------------------------------------------------------------------


def test_separators_tags_and_keywords_survive_our_writes(peers: Peers):
    peers.connect_firefox()
    firefox = peers.firefox
    tools = firefox.insert("toolbar_____", title="Tools", kind="folder")
    firefox.insert(tools, title="Alpha", url="https://alpha.example/")
    separator = firefox.insert(tools, title="", kind="separator")
    firefox.insert(tools, title="Beta", url="https://beta.example/")
    firefox.insert(tools, title="Gamma", url="https://gamma.example/")
    firefox.tag("https://alpha.example/", ["reading", "work"])
    firefox.set_keyword("https://beta.example/", "beta")
    firefox.sync()
    peers.chrome.sync()

    # Chrome sees Tools without its separator; it edits the tagged and the keyword
    # bookmark, adds one, moves things around in the folder and moves the folder.
    chrome = peers.chrome
    folder = chrome.find("Tools")
    assert chrome.children(folder) == ["Alpha", "Beta", "Gamma"]
    chrome.rename(chrome.find("Alpha"), "Alpha, edited")
    chrome.rename(chrome.find("Beta"), "Beta, edited")
    chrome.move(chrome.find("Gamma"), folder, 0)
    chrome.create(folder, "Delta", "https://delta.example/")
    chrome.move(folder, chrome.root("other"), 0)
    chrome.sync()
    firefox.sync()
    peers.assert_server_tree_sound()

    tree = firefox.tree()
    assert tree["toolbar"]["children"] == []
    moved = tree["unfiled"]["children"][0]
    assert (moved["guid"], moved["title"]) == (tools, "Tools")
    assert [(c["kind"], c["title"]) for c in moved["children"]] == [
        ("bookmark", "Gamma"),
        ("bookmark", "Alpha, edited"),
        ("separator", ""),  # still after the bookmark it followed
        ("bookmark", "Beta, edited"),
        ("bookmark", "Delta"),
    ]
    assert moved["children"][2]["guid"] == separator
    assert sorted(firefox.tags("https://alpha.example/")) == ["reading", "work"]
    assert firefox.keyword("beta") == "https://beta.example/"
    peers.assert_same_bookmarks()

    # Firefox changes the tags and the keyword; our next edit of those bookmarks keeps
    # the new ones, not the ones we saw first.
    firefox.tag("https://alpha.example/", ["later"])
    firefox.run(
        "await PlacesUtils.keywords.remove('beta');"
        " await PlacesUtils.keywords.insert({ keyword: 'b', url: 'https://beta.example/' });"
        " return true;"
    )
    firefox.sync()
    chrome.sync()
    chrome.rename(chrome.find("Alpha, edited"), "Alpha, edited again")
    chrome.rename(chrome.find("Beta, edited"), "Beta, edited again")
    chrome.sync()
    firefox.sync()
    peers.assert_server_tree_sound()
    assert sorted(firefox.tags("https://alpha.example/")) == ["later", "reading", "work"]
    assert (firefox.keyword("b"), firefox.keyword("beta")) == ("https://beta.example/", None)
    peers.assert_same_bookmarks()

    # Deleting the folder in Chrome takes the separator it cannot see along, cleanly.
    chrome.remove(chrome.find("Tools"))
    chrome.sync(force=True)  # the safety brake stops deleting most of an account
    firefox.sync()
    peers.assert_server_tree_sound()
    assert firefox.tree()["unfiled"]["children"] == []
    assert {separator, tools} <= {
        guid for guid, r in peers.server_records().items() if r.get("deleted")
    }
    peers.assert_same_bookmarks()


def test_the_menu_is_a_folder_in_chrome(peers: Peers):
    peers.connect_firefox()
    firefox = peers.firefox
    guids = firefox_tree(
        firefox,
        {
            "menu________": [
                ("Menu one", "https://menu-one.example/"),
                ("Menu two", "https://menu-two.example/"),
            ],
            "toolbar_____": [("Bar one", "https://bar-one.example/")],
            "unfiled_____": [("Other one", "https://other-one.example/")],
        },
    )
    firefox.insert("menu________", title="", kind="separator", index=1)
    firefox.sync()
    peers.chrome.sync()
    chrome = peers.chrome
    menu = chrome.find("Bookmarks Menu")
    assert chrome.children(menu) == ["Menu one", "Menu two"]

    # In and out of the menu folder, and a new bookmark in it.
    chrome.move(chrome.find("Menu two"), chrome.root("bookmarks-bar"), 0)
    chrome.move(chrome.find("Other one"), menu, 0)
    chrome.create(menu, "Menu three", "https://menu-three.example/")
    chrome.sync()
    firefox.sync()
    peers.assert_server_tree_sound()
    menu_children = firefox.tree()["menu"]["children"]
    assert [(c["kind"], c["title"]) for c in menu_children] == [
        ("bookmark", "Other one"),
        ("bookmark", "Menu one"),
        ("separator", ""),
        ("bookmark", "Menu three"),
    ]
    assert firefox.tree()["toolbar"]["children"][0]["guid"] == guids["Menu two"]
    peers.assert_same_bookmarks()


def test_deleted_folders_keep_what_the_other_side_added(peers: Peers):
    peers.connect_firefox()
    firefox, chrome = peers.firefox, peers.chrome
    guids = firefox_tree(
        firefox,
        {
            "toolbar_____": [
                ("Gone in Firefox", [("Keep", "https://keep.example/")]),
                ("Gone in Chrome", [("Stay", "https://stay.example/")]),
                ("Anchor", "https://anchor.example/"),
            ]
        },
    )
    firefox.sync()
    chrome.sync()

    # Firefox deletes a folder Chrome adds to, and Chrome one Firefox adds to.
    firefox.remove(guids["Gone in Firefox"])
    firefox.insert(guids["Gone in Chrome"], title="Added in Firefox", url="https://ff.example/")
    chrome.create(chrome.find("Gone in Firefox"), "Added in Chrome", "https://cr.example/")
    chrome.remove(chrome.find("Gone in Chrome"))
    firefox.sync()
    chrome.sync()
    firefox.sync()
    peers.assert_server_tree_sound()
    chrome.sync()
    peers.assert_same_bookmarks()
    toolbar = firefox_outline(firefox.tree())["toolbar"]
    assert ("Added in Chrome", "https://cr.example/") in toolbar
    assert ("Added in Firefox", "https://ff.example/") in toolbar
    assert ("Anchor", "https://anchor.example/") in toolbar
    titles = {item[0] for item in toolbar}
    assert not titles & {"Keep", "Stay"}  # unchanged content went with its folder


def test_queries_are_kept_where_they_are(peers: Peers):
    peers.connect_firefox()
    firefox, chrome = peers.firefox, peers.chrome
    firefox.insert("toolbar_____", title="First", url="https://first.example/")
    query = firefox.insert("toolbar_____", title="Most Visited", url="place:sort=8&maxResults=10")
    firefox.insert("toolbar_____", title="Second", url="https://second.example/")
    firefox.sync()
    chrome.sync()
    bar = chrome.root("bookmarks-bar")
    assert chrome.children(bar) == ["First", "Second"]  # Chrome cannot open place: URLs

    chrome.move(chrome.find("Second"), bar, 0)
    chrome.rename(chrome.find("First"), "First, renamed")
    chrome.sync()
    firefox.sync()
    peers.assert_server_tree_sound()
    toolbar = firefox.tree()["toolbar"]["children"]
    assert [(c["guid"] == query, c["title"]) for c in toolbar] == [
        (False, "Second"),
        (False, "First, renamed"),
        (True, "Most Visited"),
    ]
    peers.assert_same_bookmarks()


# -- the first sync of a side that already has bookmarks ------------------------------------


def test_the_same_bookmarks_on_both_sides_are_not_duplicated(peers: Peers):
    shared = [("Shared", [("Docs", "https://docs.example/")]), ("News", "https://news.example/")]
    peers.connect_firefox()
    firefox_tree(peers.firefox, {"toolbar_____": shared})
    peers.firefox.sync()
    peers.chrome.write(_chrome_tree(bar=[*shared, ("Chrome only", "https://chrome.example/")]))
    peers.chrome.sync()
    peers.firefox.sync()
    peers.assert_server_tree_sound()
    assert firefox_outline(peers.firefox.tree())["toolbar"] == [
        ("Shared", [("Docs", "https://docs.example/")]),
        ("News", "https://news.example/"),
        ("Chrome only", "https://chrome.example/"),
    ]
    peers.assert_same_bookmarks()


def _chrome_tree(**roots: list[Any]) -> list[dict[str, Any]]:
    """A getTree() result from {bar|other|mobile: [(title, url) | (title, [children])]}."""
    from tests.bookmarks.sync_support import bm, browser_tree, folder

    def spec(items: list[Any]) -> list[dict[str, Any]]:
        return [
            folder(title, *spec(content)) if isinstance(content, list) else bm(title, content)
            for title, content in items
        ]

    return browser_tree(**{name: spec(items) for name, items in roots.items()})
