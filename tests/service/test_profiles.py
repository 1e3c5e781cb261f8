"""A connected browser profile as the engine's endpoint: what the browser answers is checked."""

from __future__ import annotations

from typing import Any

import pytest

from daemon.service.connection import ConnectionClosedError
from daemon.service.profiles import ApplyFailedError, BrowserProfile, ProfileRegistry
from daemon.service.scheduler import BrowserSideError


class FakeConnection:
    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, dict]] = []

    async def call(self, method: str, params: dict, *, answer_within: float) -> Any:
        self.asked.append((method, params))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def profile(*answers: Any) -> BrowserProfile:
    return BrowserProfile("p1", "Chromium", "Work", FakeConnection(*answers))  # type: ignore[arg-type]


async def test_read_tree_returns_the_browsers_tree() -> None:
    tree = [{"id": "0", "children": []}]
    assert await profile({"tree": tree}).read_tree() == tree


@pytest.mark.parametrize("answer", [None, [], {"tree": {}}, {"nodes": []}])
async def test_a_malformed_tree_answer_is_the_browsers_problem(answer: Any) -> None:
    with pytest.raises(BrowserSideError, match="no bookmark tree"):
        await profile(answer).read_tree()


async def test_a_disconnect_mid_request_is_the_browsers_problem() -> None:
    with pytest.raises(BrowserSideError, match="Chromium Work: The browser disconnected"):
        await profile(ConnectionClosedError()).read_tree()


async def test_apply_returns_the_new_ids() -> None:
    browser = profile({"ids": {"guidAAAAAAAA": "17"}, "failed": []})
    ops = [{"op": "create", "ref": "guidAAAAAAAA", "parent": "1", "index": 0, "title": "x"}]
    assert await browser.apply(ops) == {"guidAAAAAAAA": "17"}
    assert await profile().apply([]) == {}  # nothing to do: the browser is not asked


async def test_failed_operations_are_reported_with_what_was_created() -> None:
    answer = {"ids": {"a": "17"}, "failed": [{"index": 1, "message": "no such parent"}]}
    with pytest.raises(ApplyFailedError) as caught:
        await profile(answer).apply([{"op": "create"}, {"op": "move"}])
    assert caught.value.ids == {"a": "17"}
    assert "no such parent" in caught.value.message


@pytest.mark.parametrize(
    "answer",
    [
        "done",
        {"ids": {"a": 17}},
        {"ids": [], "failed": []},
        {"ids": {}, "failed": [{"index": 5, "message": "x"}]},
        {"ids": {}, "failed": "none"},
    ],
)
async def test_malformed_apply_answers_are_refused(answer: Any) -> None:
    with pytest.raises(BrowserSideError):
        await profile(answer).apply([{"op": "remove", "id": "9"}])


def test_change_times_reported_during_a_sync_are_kept() -> None:
    browser = profile()
    browser.note_changes([{"type": "created", "id": "5", "at": 100}, {"type": "import-begin"}])
    synced = dict(browser.changed_at)
    browser.note_changes([{"type": "changed", "id": "5", "at": 200}])  # during the sync
    browser.forget_changes(synced)
    assert browser.changed_at == {"5": 200}


def test_a_reconnected_profile_replaces_the_old_connection() -> None:
    registry = ProfileRegistry()
    old, new = profile(), profile()
    registry.connect(old)
    assert registry.connect(new) is old
    assert registry.disconnect(old.connection) is None  # the old connection owns nothing now
    assert registry.get("p1") is new and registry.ids() == ["p1"]
