"""The extension's service worker in real headless Chromium, with the test as its daemon.

A stand-in native host copies frames between the browser and a socket the test listens
on, so each test speaks the daemon's side of docs/ipc.md itself: it answers ``hello``,
asks for trees, sends operation batches (chunked above 1 MiB, as the real host does) and
malformed messages, and drops the connection. What the user sees is checked in the
extension's own pages and badge.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

playwright_sync = pytest.importorskip("playwright.sync_api")
# Generous bounds for a loaded machine (the same as tests/e2e: the setting is global);
# a passing check returns as soon as it holds.
playwright_sync.expect.set_options(timeout=30_000)  # as tests/e2e sets it

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
HOST_NAME = "org.foxbridge.host"
EXTENSION_ID = "cknbndjhkemjlbbmempflnjfealonpia"
ORIGIN = f"chrome-extension://{EXTENSION_ID}/"
MAX_TO_BROWSER = 1024 * 1024
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--password-store=basic",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"Chromium is needed at {CHROMIUM} (or CHROMIUM_BIN)"
)

# The stand-in host: the browser starts it per port; it copies bytes both ways between its
# stdio and the test's socket, so the browser's frames reach the test unchanged.
RELAY = """\
import os, socket, sys, threading
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(os.environ["FOXBRIDGE_TEST_SOCKET"])
def upstream():
    while data := os.read(0, 65536):
        sock.sendall(data)
    os._exit(0)  # the browser closed the port: so does the host
threading.Thread(target=upstream, daemon=True).start()
while data := sock.recv(65536):
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]
"""


class FakeDaemon:
    """The daemon's end of the port, one browser connection at a time."""

    def __init__(self, path: Path) -> None:
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen()
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.connection: socket.socket | None = None
        self.connections = 0
        self.next_id = 1
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connection = conn
            self.connections += 1
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        while (header := reader.read(4)) and len(header) == 4:
            (size,) = struct.unpack("<I", header)
            self.inbox.put(json.loads(reader.read(size)))

    def receive(
        self, accept: Callable[[dict[str, Any]], bool] = lambda _: True, timeout: float = 20
    ) -> dict[str, Any]:
        """The next message that ``accept`` takes; others are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("the extension sent nothing of the kind expected")
            message = self.inbox.get(timeout=remaining)
            if accept(message):
                return message

    def send_text(self, text: str) -> None:
        data = text.encode()
        assert self.connection is not None
        self.connection.sendall(struct.pack("<I", len(data)) + data)

    def send(self, message: Any) -> None:
        """Send a message, cut into chunks as the real host does when it is over 1 MiB."""
        text = json.dumps(message)
        if len(text.encode()) <= MAX_TO_BROWSER:
            self.send_text(text)
            return
        slices = [text[i : i + 500_000] for i in range(0, len(text), 500_000)]
        for index, data in enumerate(slices):
            chunk = {"id": message["id"], "index": index, "count": len(slices), "data": data}
            self.send_text(json.dumps({"chunk": chunk}))

    def request(self, method: str, params: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        """Ask the extension something; its answer (result or error)."""
        request_id = f"d{self.next_id}"
        self.next_id += 1
        self.send({"id": request_id, "method": method, "params": params})
        return self.receive(lambda m: m.get("id") == request_id and "method" not in m, timeout)

    def drop(self) -> None:
        assert self.connection is not None
        self.connection.shutdown(socket.SHUT_RDWR)
        self.connection.close()

    def close(self) -> None:
        self.server.close()


def status(**changes: Any) -> dict[str, Any]:
    return {
        "signed_in": True,
        "email": "alice@example.org",
        "server": "https://accounts.firefox.com",
        "paused": False,
        "state": "idle",
        "progress": None,
        "last_sync": {"at": int(time.time() * 1000) - 60_000, "ok": True, "summary": "2 changes"},
        "problem": None,
        "brake": None,
        **changes,
    }


def is_hello(message: dict[str, Any]) -> bool:
    return message.get("method") == "hello"


def is_changes(message: dict[str, Any]) -> bool:
    return message.get("method") == "bookmarks.changed"


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)  # bounded polling of state the browser shows, not a fixed wait
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Browser:
    context: Any
    worker: Any
    user_data_dir: Path

    def evaluate(self, expression: str, arg: Any = None) -> Any:
        return self.worker.evaluate(expression, arg)

    def page(self, name: str) -> Any:
        page = self.context.new_page()
        page.goto(f"chrome-extension://{EXTENSION_ID}/{name}")
        return page

    def badge(self) -> str:
        return self.evaluate("chrome.action.getBadgeText({})")


def register_relay(user_data_dir: Path, folder: Path) -> None:
    relay = folder / "relay-host"
    relay.write_text(f"#!{sys.executable}\n{RELAY}")
    relay.chmod(0o755)
    hosts = user_data_dir / "NativeMessagingHosts"
    hosts.mkdir(parents=True, exist_ok=True)
    (hosts / f"{HOST_NAME}.json").write_text(
        json.dumps(
            {
                "name": HOST_NAME,
                "description": "stand-in host for the extension's tests",
                "path": str(relay),
                "type": "stdio",
                "allowed_origins": [ORIGIN],
            }
        )
    )


def launch(playwright: Any, folder: Path, env: dict[str, str]) -> Browser:
    extension = folder / "extension"
    if not extension.exists():
        shutil.copytree(
            REPO / "extension",
            extension,
            ignore=shutil.ignore_patterns("node_modules", "tools", "package*.json", "eslint.*"),
        )
    user_data_dir = folder / "profile"
    user_data_dir.mkdir(exist_ok=True)
    context = playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *FLAGS,
            f"--disable-extensions-except={extension}",
            f"--load-extension={extension}",
        ],
        env={**os.environ, **env},
    )
    worker = next(
        (w for w in context.service_workers if w.url.startswith("chrome-extension://")), None
    ) or context.wait_for_event("serviceworker", timeout=15000)
    return Browser(context, worker, user_data_dir)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def linked(playwright: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """A browser whose extension is connected to the test's daemon, signed in and idle."""
    folder = tmp_path_factory.mktemp("sw")
    daemon = FakeDaemon(folder / "daemon.sock")
    register_relay(folder / "profile", folder)
    browser = launch(playwright, folder, {"FOXBRIDGE_TEST_SOCKET": str(folder / "daemon.sock")})
    hello = daemon.receive(is_hello)
    daemon.send({"id": hello["id"], "result": {"daemon_version": "0.1.0", "status": status()}})
    yield browser, daemon, hello
    browser.context.close()
    daemon.close()


def test_without_the_host_the_popup_says_how_to_install(playwright: Any, tmp_path: Path) -> None:
    browser = launch(playwright, tmp_path, {"FOXBRIDGE_TEST_SOCKET": str(tmp_path / "daemon.sock")})
    try:
        popup = browser.page("popup.html")
        expect = playwright_sync.expect
        expect(popup.locator("#problem-title")).to_contain_text("isn’t installed")
        expect(popup.locator("#problem-commands")).to_contain_text("./install/install.sh")
        expect(popup.locator("#problem-action")).to_have_text("Check again")
        expect(popup.locator("#sync-card")).to_be_hidden()
        wait_for(lambda: browser.badge() == "!", "the badge to show the problem")

        # Installed meanwhile: "Check again" connects at once, without waiting for the
        # backoff. The browser reads host registrations when a port opens; the stand-in
        # host finds the daemon through the environment the browser was started with.
        daemon = FakeDaemon(tmp_path / "daemon.sock")
        try:
            register_relay(browser.user_data_dir, tmp_path)
            popup.locator("#problem-action").click()
            hello = daemon.receive(is_hello)
            assert hello["params"]["profile"]["browser"] == "Chromium"
            daemon.send(
                {"id": hello["id"], "result": {"daemon_version": "0.1", "status": status()}}
            )
            expect(popup.locator("#sync-card")).to_be_visible()
            expect(popup.locator("#state-headline")).to_have_text("Up to date")
            expect(popup.locator("#problem")).to_be_hidden()
        finally:
            daemon.close()
    finally:
        browser.context.close()


def test_hello_names_a_stable_profile(linked: tuple) -> None:
    browser, _, hello = linked
    params = hello["params"]
    assert hello["id"].startswith("e")
    assert params["version"] == "0.1.0"
    profile = params["profile"]
    assert profile["browser"] == "Chromium"
    assert profile["name"] == "Chromium on Linux"
    stored = browser.evaluate("chrome.storage.local.get('profileId')")
    assert stored == {"profileId": profile["id"]}


def test_the_popup_shows_the_status_from_hello(linked: tuple) -> None:
    browser, _, _ = linked
    popup = browser.page("popup.html")
    expect = playwright_sync.expect
    expect(popup.locator("#account")).to_have_text("alice@example.org")
    expect(popup.locator("#sync-card")).to_be_visible()
    expect(popup.locator("#state-headline")).to_have_text("Up to date")
    expect(popup.locator("#last-sync")).to_contain_text("2 changes")
    expect(popup.locator("#problem")).to_be_hidden()
    popup.close()


def test_tree_get_answers_with_the_browser_tree(linked: tuple) -> None:
    _, daemon, _ = linked
    answer = daemon.request("tree.get", {})
    root = answer["result"]["tree"][0]
    assert root["id"] == "0"
    assert [child["id"] for child in root["children"]][:2] == ["1", "2"]


def test_ten_thousand_creates_apply_in_order_without_echoes(linked: tuple) -> None:
    browser, daemon, _ = linked
    ops: list[dict[str, Any]] = []
    for f in range(100):
        ops.append(
            {"op": "create", "ref": f"folder{f:03}", "parent": "2", "index": f, "title": f"F{f}"}
        )
        for b in range(100):
            ops.append(
                {
                    "op": "create",
                    "ref": f"bm{f:03}{b:03}",
                    "parent": f"folder{f:03}",
                    "index": b,
                    "title": f"B{b}",
                    "url": f"https://example.com/{f}/{b}",
                }
            )
    assert len(json.dumps(ops)) > MAX_TO_BROWSER  # so the request travels in chunks
    started = time.monotonic()
    answer = daemon.request("tree.apply", {"ops": ops}, timeout=120)
    elapsed = time.monotonic() - started
    print(f"tree.apply of {len(ops)} creates took {elapsed:.2f} s")
    result = answer["result"]
    assert result["failed"] == []
    assert len(result["ids"]) == len(ops)

    folder = browser.evaluate("id => chrome.bookmarks.getChildren(id)", result["ids"]["folder042"])
    assert [node["title"] for node in folder[:3]] == ["B0", "B1", "B2"]
    assert folder[7]["id"] == result["ids"]["bm042007"]

    # The extension's own writes are not reported; the user's next one is, alone.
    mine = browser.evaluate(
        "() => chrome.bookmarks.create({parentId: '1', title: 'Mine', url: 'https://mine.example/'})"
    )
    changed = daemon.receive(is_changes)
    assert [(e["type"], e["id"]) for e in changed["params"]["events"]] == [("created", mine["id"])]


def test_update_move_remove_report_failures_per_operation(linked: tuple) -> None:
    browser, daemon, _ = linked
    made = browser.evaluate(
        "() => chrome.bookmarks.create({parentId: '2', title: 'Old', url: 'https://old.example/'})"
    )
    daemon.receive(is_changes)
    answer = daemon.request(
        "tree.apply",
        {
            "ops": [
                {"op": "create", "ref": "box", "parent": "1", "index": 0, "title": "Box"},
                {"op": "update", "id": made["id"], "title": "New", "url": "https://new.example/"},
                {"op": "move", "id": made["id"], "parent": "box", "index": 0},
                {"op": "remove", "id": "1"},
                {"op": "update", "id": "999999", "title": "Ghost"},
                {"op": "teleport", "id": made["id"]},
            ]
        },
    )
    result = answer["result"]
    assert [failure["index"] for failure in result["failed"]] == [3, 4, 5]
    box = browser.evaluate("id => chrome.bookmarks.getChildren(id)", result["ids"]["box"])
    assert [(n["id"], n["title"], n["url"]) for n in box] == [
        (made["id"], "New", "https://new.example/")
    ]


def test_user_changes_are_reported_in_batches(linked: tuple) -> None:
    browser, daemon, _ = linked
    ids = browser.evaluate(
        """async () => {
            const a = await chrome.bookmarks.create({parentId: '2', title: 'A', url: 'https://a.example/'});
            await chrome.bookmarks.update(a.id, {title: 'A2'});
            const f = await chrome.bookmarks.create({parentId: '2', title: 'F'});
            await chrome.bookmarks.move(a.id, {parentId: f.id});
            await chrome.bookmarks.removeTree(f.id);
            return [a.id, f.id];
        }"""
    )
    events: list[tuple[str, str]] = []
    while len(events) < 5:
        message = daemon.receive(is_changes)
        events += [(e["type"], e["id"]) for e in message["params"]["events"]]
        assert all(isinstance(e["at"], int) for e in message["params"]["events"])
    a, f = ids
    assert events == [("created", a), ("changed", a), ("created", f), ("moved", a), ("removed", f)]


def test_malformed_messages_are_refused_and_the_link_survives(linked: tuple) -> None:
    _, daemon, _ = linked
    daemon.send_text("[1, 2, 3]")
    daemon.send({"id": "d900", "method": "tree.get", "params": "everything"})
    refused = daemon.receive(lambda m: m.get("id") == "d900")
    assert refused["error"]["code"] == "bad-request"
    daemon.send({"id": "d901", "method": "tree.burn", "params": {}})
    unknown = daemon.receive(lambda m: m.get("id") == "d901")
    assert unknown["error"]["code"] == "bad-request"
    daemon.send({"id": "d902", "method": "tree.apply", "params": {"ops": "all of them"}})
    assert daemon.receive(lambda m: m.get("id") == "d902")["error"]["code"] == "bad-request"
    assert "result" in daemon.request("tree.get", {})


def test_status_notifications_drive_badge_and_popup(linked: tuple) -> None:
    browser, daemon, _ = linked
    brake = {"deletions": 60, "local_total": 200, "preview": ["Bookmarks bar › News"]}
    daemon.send({"method": "status", "params": status(state="brake", brake=brake)})
    wait_for(lambda: browser.badge() == "?", "the brake badge")
    popup = browser.page("popup.html")
    expect = playwright_sync.expect
    expect(popup.locator("#problem-title")).to_have_text("Sync stopped for safety")
    expect(popup.locator("#brake-preview li")).to_have_text(["Bookmarks bar › News"])

    popup.locator("#problem-action").click()
    confirm = daemon.receive(lambda m: m.get("method") == "sync.confirm")
    daemon.send({"id": confirm["id"], "result": {}})
    asked = daemon.receive(lambda m: m.get("method") == "status")
    daemon.send(
        {"id": asked["id"], "result": status(state="syncing", progress={"done": 5, "total": 20})}
    )
    expect(popup.locator("#state-headline")).to_have_text("Syncing… 5 of 20")
    wait_for(lambda: browser.badge() == "25%", "the progress badge")

    # A status that breaks the documented shape is ignored, not shown.
    daemon.send({"method": "status", "params": {"state": "on fire"}})
    daemon.send({"method": "status", "params": status()})
    expect(popup.locator("#state-headline")).to_have_text("Up to date")
    popup.close()


def test_sync_now_from_the_popup_reaches_the_daemon(linked: tuple) -> None:
    browser, daemon, _ = linked
    popup = browser.page("popup.html")
    popup.locator("#sync-now").click()
    request = daemon.receive(lambda m: m.get("method") == "sync.now")
    daemon.send({"id": request["id"], "error": {"code": "network", "message": "You are offline."}})
    playwright_sync.expect(popup.locator("#action-error")).to_have_text("You are offline.")
    popup.close()


def test_a_dropped_link_reconnects_as_the_same_profile(linked: tuple) -> None:
    _, daemon, hello = linked
    connections = daemon.connections
    daemon.drop()
    again = daemon.receive(is_hello)
    assert daemon.connections == connections + 1
    assert again["params"]["profile"]["id"] == hello["params"]["profile"]["id"]
    daemon.send({"id": again["id"], "result": {"daemon_version": "0.1.0", "status": status()}})
    assert "result" in daemon.request("tree.get", {})


def test_a_restarted_service_worker_reconnects_as_the_same_profile(
    playwright: Any, tmp_path: Path
) -> None:
    daemon = FakeDaemon(tmp_path / "daemon.sock")
    register_relay(tmp_path / "profile", tmp_path)
    browser = launch(playwright, tmp_path, {"FOXBRIDGE_TEST_SOCKET": str(tmp_path / "daemon.sock")})
    try:
        first = daemon.receive(is_hello)
        daemon.send({"id": first["id"], "result": {"daemon_version": "0.1", "status": status()}})
        assert "result" in daemon.request("tree.get", {})

        # Stop the worker the way the browser does when it idles one out.
        page = browser.page("options.html")
        cdp = browser.context.new_cdp_session(page)
        cdp.send("ServiceWorker.enable")
        cdp.send("ServiceWorker.stopAllWorkers")

        # The open page's subscription wakes it again; it says hello as the same profile.
        second = daemon.receive(is_hello)
        assert second["params"]["profile"]["id"] == first["params"]["profile"]["id"]
        assert daemon.connections == 2
    finally:
        browser.context.close()
        daemon.close()


# A stand-in for the account server's sign-in page: it speaks the WebChannel in the order
# the real page does for a password sign-in, then records the replies it got.
SIGNIN_PAGE = """<!doctype html><meta charset="utf-8"><title>sign-in</title><script>
const params = new URLSearchParams(location.search);
const replies = [];
window.addEventListener("WebChannelMessageToContent", (event) => {
  const detail = JSON.parse(event.detail);
  replies.push(detail.message.command);
  document.title = replies.join(",");
  window.dispatchEvent(new Event("reply:" + detail.message.command));
});
function send(command, data) {
  const message = {command, messageId: String(Date.now()), data};
  window.dispatchEvent(new CustomEvent("WebChannelMessageToChrome",
    {detail: JSON.stringify({id: "account_updates", message})}));
}
(async () => {
  const linked = new Promise((r) => addEventListener("reply:fxaccounts:can_link_account", r));
  send("fxaccounts:can_link_account", {email: "alice@example.org"});
  await linked;
  send("fxaccounts:login", {email: "alice@example.org", uid: "%(uid)s", verified: true,
    sessionToken: "%(token)s", services: {sync: {}}});
  send("fxaccounts:oauth_login", {action: "signin", code: "%(code)s",
    state: params.get("state"), redirect: "urn:ietf:wg:oauth:2.0:oob:oauth-redirect-webchannel"});
})();
</script>"""
UID = "0123456789abcdef" * 2
SESSION_TOKEN = "f" * 64
CODE = "ab" * 32


@pytest.fixture
def signin_page() -> Iterator[str]:
    """The stand-in page on a loopback port; its origin."""
    body = (SIGNIN_PAGE % {"uid": UID, "token": SESSION_TOKEN, "code": CODE}).encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_web_sign_in_relays_the_pages_code_but_not_its_session(
    linked: tuple, signin_page: str
) -> None:
    browser, daemon, _ = linked
    daemon.send({"method": "status", "params": status(signed_in=False, state="signed-out")})
    page = browser.page("signin.html")
    expect = playwright_sync.expect
    expect(page.locator("#web-signin")).to_be_enabled()
    page.locator("#web-signin").click()

    begin = daemon.receive(lambda m: m.get("method") == "login.web.begin")
    assert begin["params"] == {}
    state = "S" * 22
    daemon.send(
        {
            "id": begin["id"],
            "result": {
                "url": f"{signin_page}/?context=oauth_webchannel_v1&client_id=x&state={state}",
                "origin": signin_page,
                "state": state,
            },
        }
    )
    expect(page.locator("#web-waiting")).to_be_visible()

    complete = daemon.receive(lambda m: m.get("method") == "login.web.complete")
    assert complete["params"] == {
        "state": state,
        "code": CODE,
        "login": {"uid": UID, "email": "alice@example.org", "verified": True},
    }
    assert SESSION_TOKEN not in json.dumps(complete)
    daemon.send(
        {"id": complete["id"], "result": {"state": "signed-in", "email": "alice@example.org"}}
    )
    daemon.send({"method": "status", "params": status()})
    expect(page.locator("#signin-done")).to_be_visible()
    expect(page.locator("#signed-in-as")).to_have_text(" as alice@example.org")
    # The account page's tab is closed once the daemon has the code.
    wait_for(
        lambda: not any(p.url.startswith(signin_page) for p in browser.context.pages),
        "the sign-in tab to close",
    )
    page.close()


def test_the_daemon_can_ask_the_browser_to_open_its_sign_in_page(
    linked: tuple, signin_page: str
) -> None:
    _, daemon, _ = linked
    state = "T" * 22
    url = f"{signin_page}/?context=oauth_webchannel_v1&client_id=x&state={state}"
    daemon.send(
        {"method": "login.web.open", "params": {"url": url, "origin": signin_page, "state": state}}
    )
    complete = daemon.receive(lambda m: m.get("method") == "login.web.complete")
    assert complete["params"]["state"] == state
    assert complete["params"]["code"] == CODE
    daemon.send(
        {"id": complete["id"], "result": {"state": "signed-in", "email": "alice@example.org"}}
    )
