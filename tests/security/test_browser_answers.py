"""What a browser answers the daemon: junk ``tree.get`` and ``tree.apply`` results.

A real daemon, signed in, syncs a good profile first; then profiles whose extension
answers with junk connect one after another. Each such sync ends in an error status,
the daemon lives on, and every record on the server is still there, unchanged.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.remote import RemoteBookmarks
from tests.service.fake_extension import FakeExtension
from tests.service.test_daemon_process import EMAIL, DaemonProcess, signed_in_extension

ROOTS = [
    {"id": "1", "title": "Bookmarks bar", "folderType": "bookmarks-bar", "children": []},
    {"id": "2", "title": "Other bookmarks", "folderType": "other", "children": []},
]


def _tree(*extra_in_bar: dict[str, Any]) -> list[dict[str, Any]]:
    bar = {**ROOTS[0], "children": list(extra_in_bar)}
    return [{"id": "0", "title": "", "children": [bar, ROOTS[1]]}]


JUNK_TREES: list[Any] = [
    None,
    "a string",
    {"tree": None},
    {"tree": {"id": "0"}},
    {"tree": [1]},
    {"tree": [{"id": "0", "children": []}]},  # no permanent folders
    {"tree": _tree({"id": "9", "title": 5, "url": "https://x.example/"})},
    {"tree": _tree({"id": "9", "title": "t", "url": "https://x.example/", "dateAdded": "x"})},
    {"tree": _tree({"id": "9", "dateAdded": float("nan"), "url": "https://x.example/"})},
    {"tree": _tree({"id": "1", "title": "dup", "url": "https://x.example/"})},
    {"tree": _tree({"id": "9", "url": "https://x.example/", "children": []})},
]
JUNK_APPLY_ANSWERS: list[Any] = [
    None,
    [],
    {"ids": [1]},
    {"ids": {"ref": 5}},
    {"failed": "all"},
    {"failed": [{"index": -1}]},
    {"failed": [{"index": 10**9}]},
]


class JunkExtension(FakeExtension):
    """An extension that answers one of the daemon's requests with ``junk``."""

    def __init__(self, profile_id: str, method: str, junk: Any) -> None:
        super().__init__(profile_id)
        self.method, self.junk = method, junk

    def _answer(self, message: dict[str, Any]) -> Any:
        if message["method"] == self.method:
            return self.junk
        return super()._answer(message)


def _snapshot(remote: RemoteBookmarks) -> dict[str, tuple[Any, ...]]:
    return {
        guid: (r.get("type"), r.get("title"), r.get("bmkUri"), r.get("parentid"))
        for guid, r in remote.live().items()
    }


async def test_junk_browser_answers_delete_nothing(daemon: DaemonProcess, stack_thread) -> None:
    async with signed_in_extension(daemon, stack_thread, "p-good") as good:
        good.tree.create("1", "Kept", "https://kept.example/")
        good.tree.create("2", "Also kept", "https://also.example/")
        mark = len(good.statuses)
        await good.request("sync.now", {})
        assert (await good.wait_synced(after=mark))["state"] == "idle"
        remote = RemoteBookmarks(stack_thread, EMAIL)
        before = _snapshot(remote)
        assert {"Kept", "Also kept"} <= {title for _, title, _, _ in before.values()}

        cases = [("tree.get", junk) for junk in JUNK_TREES]
        cases += [("tree.apply", junk) for junk in JUNK_APPLY_ANSWERS]
        for number, (method, junk) in enumerate(cases):
            broken = JunkExtension(f"p-junk-{number}", method, junk)
            await broken.connect(daemon.paths.socket_path)
            try:
                ended = await broken.wait_synced()
                assert ended["state"] == "error", (method, junk, ended)
            finally:
                await broken.close()
            assert _snapshot(remote) == before, (method, junk)

        # The good profile still syncs, and nothing was lost for it either.
        mark = len(good.statuses)
        await good.request("sync.now", {})
        assert (await good.wait_synced(after=mark))["state"] == "idle"
        assert _snapshot(remote) == before
        assert "Kept" in good.tree.titles_in("1")
        assert "Also kept" in good.tree.titles_in("2")
    assert daemon.process.poll() is None
    log = daemon.paths.log_file.read_text()
    assert "Traceback" not in log, log[-3000:]
