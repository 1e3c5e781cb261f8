"""Connected browser profiles: each one a ``BrowserEndpoint`` whose tree lives in a browser.

After an extension's ``hello`` the daemon knows the profile by the id the extension chose
(random, kept in the browser's storage); its mapping and base state in the engine's store
are keyed by that id, so two profiles of one browser — or two browsers — sync
independently against the same account. Reading the tree and applying operations are
requests to the extension over the profile's connection; whatever the browser answers is
checked before the engine sees it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from daemon.errors import FoxbridgeError
from daemon.service.connection import Connection
from daemon.service.scheduler import BrowserSideError

log = logging.getLogger(__name__)

READ_TIMEOUT = 60.0  # seconds for tree.get: a getTree() of 100,000 bookmarks is quick
APPLY_TIMEOUT = 600.0  # seconds for tree.apply: creating 10,000 bookmarks takes a while


class ApplyFailedError(BrowserSideError):
    """Some operations failed in the browser; ``ids`` holds those that were created."""

    def __init__(self, ids: dict[str, str], failed: list[dict[str, Any]]) -> None:
        first = failed[0]
        super().__init__(
            f"The browser could not apply {len(failed)} change(s) "
            f"(first, #{first['index']}: {first['message']})."
        )
        self.ids = ids
        self.failed = failed


@dataclass
class BrowserProfile:
    """A browser profile behind one connection (implements ``BrowserEndpoint``)."""

    profile_id: str
    browser: str
    name: str
    connection: Connection = field(repr=False)
    # Browser bookmark id → when the browser last reported a change to it (ms), since the
    # last sync: the engine uses these as the local side's recency.
    changed_at: dict[str, int] = field(default_factory=dict)
    # Change events reported on this connection, and how many of them the last successful
    # sync had seen (None: no successful sync yet, or one is under way or failed).
    changes_reported: int = 0
    changes_synced: int | None = None

    async def read_tree(self) -> list[dict[str, Any]]:
        answer = await self._ask("tree.get", {}, READ_TIMEOUT)
        tree = answer.get("tree") if isinstance(answer, dict) else None
        if not isinstance(tree, list):
            raise BrowserSideError("The browser sent no bookmark tree (expected {tree: [...]}).")
        return tree

    async def apply(self, ops: list[dict[str, Any]]) -> dict[str, str]:
        if not ops:
            return {}
        # The browser does not report our own writes: only a sync that succeeds after
        # them may say the tree is known again (a restore, say, must be read next time).
        self.changes_synced = None
        answer = await self._ask("tree.apply", {"ops": ops}, APPLY_TIMEOUT)
        ids, failed = _check_apply_answer(answer, len(ops))
        if failed:
            raise ApplyFailedError(ids, failed)
        return ids

    @property
    def unchanged_since_sync(self) -> bool:
        """Whether the tree is still the one the last successful sync left."""
        return self.changes_synced == self.changes_reported

    def note_changes(self, events: list[dict[str, Any]]) -> None:
        self.changes_reported += len(events)
        for event in events:
            bookmark_id = event.get("id")
            if bookmark_id:
                at = int(event.get("at") or 0)
                self.changed_at[bookmark_id] = max(at, self.changed_at.get(bookmark_id, 0))

    def forget_changes(self, synced: dict[str, int]) -> None:
        """Forget the change times a sync has used (newer ones, reported since, stay)."""
        for bookmark_id, at in synced.items():
            if self.changed_at.get(bookmark_id) == at:
                del self.changed_at[bookmark_id]

    async def _ask(self, method: str, params: dict[str, Any], within: float) -> Any:
        try:
            return await self.connection.call(method, params, answer_within=within)
        except BrowserSideError:
            raise
        except FoxbridgeError as failure:
            raise BrowserSideError(f"{self.display_name}: {failure.message}") from failure

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.browser, self.name) if part) or self.profile_id


def _check_apply_answer(answer: Any, count: int) -> tuple[dict[str, str], list[dict[str, Any]]]:
    if not isinstance(answer, dict):
        raise BrowserSideError("The browser's answer to tree.apply is not an object.")
    ids = answer.get("ids", {})
    if not isinstance(ids, dict) or not all(
        isinstance(ref, str) and isinstance(new_id, str) for ref, new_id in ids.items()
    ):
        raise BrowserSideError("The browser's tree.apply 'ids' must map refs to id strings.")
    failed = answer.get("failed", [])
    if not isinstance(failed, list):
        raise BrowserSideError("The browser's tree.apply 'failed' must be a list.")
    checked = []
    for entry in failed:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("index"), int)
            or not 0 <= entry["index"] < count
        ):
            raise BrowserSideError("The browser's tree.apply 'failed' entries need an index.")
        checked.append({"index": entry["index"], "message": str(entry.get("message", ""))[:500]})
    return ids, checked


class ProfileRegistry:
    """The browser profiles connected right now, by profile id."""

    def __init__(self) -> None:
        self._profiles: dict[str, BrowserProfile] = {}

    def connect(self, profile: BrowserProfile) -> BrowserProfile | None:
        """Register ``profile``; return the one it replaces (same profile reconnected)."""
        previous = self._profiles.get(profile.profile_id)
        self._profiles[profile.profile_id] = profile
        return previous

    def disconnect(self, connection: Connection) -> BrowserProfile | None:
        """Forget the profile of ``connection`` (unless a newer connection took it over)."""
        for profile_id, profile in list(self._profiles.items()):
            if profile.connection is connection:
                del self._profiles[profile_id]
                return profile
        return None

    def get(self, profile_id: str) -> BrowserProfile | None:
        return self._profiles.get(profile_id)

    def ids(self) -> list[str]:
        return sorted(self._profiles)

    def all(self) -> list[BrowserProfile]:
        return [self._profiles[profile_id] for profile_id in self.ids()]
