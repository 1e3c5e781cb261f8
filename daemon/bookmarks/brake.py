"""The safety brake: a sync that would delete an unusual share of bookmarks stops first.

A bug, a corrupted profile or another client's mistake can make a merge delete most of
someone's bookmarks in one go. Before anything is touched, ``check`` looks at the
planned deletions on both sides — nodes removed from the browser, and tombstones for
bookmarks and folders live on the server — and stops the sync with a
``SafetyBrakeError`` when either side would lose

- more than ``brake_max_count`` items, or
- more than ``brake_max_share`` of its items, or everything in a root that had some,

The share and empty-root rules ignore syncs deleting fewer than ``SMALL_DELETION``
items: deleting two of five bookmarks is an everyday edit, not an accident. The user
confirms with ``force`` (``foxbridge sync --force``, or "Apply anyway" in the browser).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daemon.errors import ExitStatus, FoxbridgeError
from daemon.settings import Settings

SMALL_DELETION = 5
PREVIEW_TITLES = 10


@dataclass
class DeletionPreview:
    """What a sync would delete, for the user to confirm."""

    local_deletions: int  # browser nodes removed (everything inside removed folders too)
    local_total: int  # bookmarks and folders in the browser now
    remote_deletions: int  # bookmarks and folders tombstoned on the server
    remote_total: int  # bookmarks and folders live on the server now
    emptied_roots: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)  # the first ones that would go

    @property
    def deletions(self) -> int:
        return max(self.local_deletions, self.remote_deletions)

    def to_status(self) -> dict[str, Any]:
        """The ``brake`` member of the status object (docs/ipc.md)."""
        return {
            "deletions": self.deletions,
            "local_total": self.local_total,
            "remote_deletions": self.remote_deletions,
            "remote_total": self.remote_total,
            "emptied_roots": list(self.emptied_roots),
            "preview": self.titles[:PREVIEW_TITLES],
        }

    def describe(self) -> str:
        parts = []
        if self.local_deletions:
            parts.append(
                f"remove {self.local_deletions} of {self.local_total} bookmarks and folders"
                " from this browser"
            )
        if self.remote_deletions:
            parts.append(
                f"delete {self.remote_deletions} of {self.remote_total} bookmarks and folders"
                " from your Firefox Account"
            )
        text = " and ".join(parts) or "empty a bookmark folder"
        if self.emptied_roots:
            text += f" (emptying {', '.join(self.emptied_roots)})"
        return text


class SafetyBrakeError(FoxbridgeError):
    status = ExitStatus.SAFETY_BRAKE

    def __init__(self, preview: DeletionPreview) -> None:
        super().__init__(
            f"Sync stopped before changing anything: it would {preview.describe()}. "
            "Check your bookmarks, then sync with --force to apply it anyway."
        )
        self.preview = preview


def trips(preview: DeletionPreview, settings: Settings) -> bool:
    """Whether the deletions are unusual enough to ask the user first."""
    sides = (
        (preview.local_deletions, preview.local_total),
        (preview.remote_deletions, preview.remote_total),
    )
    for deletions, total in sides:
        if deletions > settings.brake_max_count:
            return True
        if deletions >= SMALL_DELETION and deletions > settings.brake_max_share * total:
            return True
    return bool(preview.emptied_roots) and preview.deletions >= SMALL_DELETION


def check(preview: DeletionPreview, settings: Settings, *, force: bool) -> None:
    """Raise ``SafetyBrakeError`` unless the sync may go ahead."""
    if not force and trips(preview, settings):
        raise SafetyBrakeError(preview)
