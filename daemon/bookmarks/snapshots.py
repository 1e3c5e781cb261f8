"""Backups of both trees, taken before every sync that changes something.

A snapshot is one file in ``paths.snapshots_dir`` holding the browser's tree (as the
browser gave it), the browser id → GUID map of that moment, and the cleartexts of the
server's live records. Bookmarks are not secrets, but they are private: the folder is
the user's alone (0700) and each file 0600. The first line of a file is a small JSON
header (so listing does not read whole trees), the second the snapshot itself. Only the
newest ``keep`` snapshots of each profile are kept.

Restoring (``restore_into``) makes the browser's bookmarks and folders look as they did
in the snapshot — items added since are removed, deleted ones come back, edits and moves
are undone — as an ordinary local change: the next sync sends it to the server like any
edit made by hand (re-created items are new items there). What the browser cannot show
(separators, the menu when hidden, tags…) is not touched by a restore; the snapshot's
copy of the server records is there to inspect or recover it by hand.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from daemon.errors import FoxbridgeError
from daemon.paths import Paths
from daemon.settings import load_settings

from .chrome import parse_tree, project
from .endpoints import BrowserEndpoint
from .plan import plan_browser
from .store import StateStore

_ID_RE = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{6}\Z")


class SnapshotError(FoxbridgeError):
    pass


@dataclass(frozen=True)
class SnapshotInfo:
    id: str
    created: int  # milliseconds since the epoch
    profile: str
    reason: str
    local_count: int  # bookmarks and folders in the browser
    remote_count: int  # live records on the server

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    to_dict = to_json


@dataclass
class Snapshot:
    info: SnapshotInfo
    browser_tree: list[dict[str, Any]]
    id_map: dict[str, str]  # browser id → GUID when the snapshot was taken
    remote_records: list[dict[str, Any]]


class Snapshots:
    """The snapshot folder."""

    def __init__(self, folder: Path, *, keep: int) -> None:
        self.folder = folder
        self.keep = max(1, keep)

    def take(
        self,
        profile: str,
        *,
        browser_tree: list[dict[str, Any]],
        id_map: Mapping[str, str],
        remote_records: list[dict[str, Any]],
        local_count: int,
        reason: str,
    ) -> SnapshotInfo:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if os.name == "posix":
            self.folder.chmod(0o700)
        now = time.time()
        snapshot_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + "-" + secrets.token_hex(3)
        # Strictly increasing creation times keep "newest first" exact within a millisecond.
        newest = self.list()
        created = max(int(now * 1000), newest[0].created + 1 if newest else 0)
        info = SnapshotInfo(
            id=snapshot_id,
            created=created,
            profile=profile,
            reason=reason,
            local_count=local_count,
            remote_count=len(remote_records),
        )
        body = {"browser": browser_tree, "id_map": dict(id_map), "remote": remote_records}
        path = self._path(snapshot_id)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(json.dumps(info.to_json()) + "\n")
                file.write(json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n")
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._prune(profile)
        return info

    def list(self, profile: str | None = None) -> list[SnapshotInfo]:
        """Snapshots, newest first (of one profile, or all)."""
        if not self.folder.is_dir():
            return []
        found: list[SnapshotInfo] = []
        for path in self.folder.glob("*.json"):
            try:
                with path.open(encoding="utf-8") as file:
                    info = SnapshotInfo(**json.loads(file.readline()))
            except (OSError, ValueError, TypeError):
                continue  # not one of ours, or damaged: never fatal for listing
            if profile is None or info.profile == profile:
                found.append(info)
        return sorted(found, key=lambda info: (info.created, info.id), reverse=True)

    def load(self, snapshot_id: str) -> Snapshot:
        if not _ID_RE.match(snapshot_id):
            raise SnapshotError(f"There is no snapshot {snapshot_id[:40]!r}.")
        path = self._path(snapshot_id)
        try:
            with path.open(encoding="utf-8") as file:
                info = SnapshotInfo(**json.loads(file.readline()))
                body = json.loads(file.readline())
            return Snapshot(info, body["browser"], body["id_map"], body["remote"])
        except FileNotFoundError:
            raise SnapshotError(f"There is no snapshot {snapshot_id}.") from None
        except (OSError, ValueError, TypeError, KeyError):
            raise SnapshotError(f"Snapshot {snapshot_id} is damaged.") from None

    def _path(self, snapshot_id: str) -> Path:
        return self.folder / f"{snapshot_id}.json"

    def _prune(self, profile: str) -> None:
        for old in self.list(profile)[self.keep :]:
            self._path(old.id).unlink(missing_ok=True)


def for_paths(paths: Paths) -> Snapshots:
    settings = load_settings(paths.settings_file)
    return Snapshots(paths.snapshots_dir, keep=settings.snapshots_keep)


def list_snapshots(paths: Paths, profile: str | None = None) -> list[SnapshotInfo]:
    return for_paths(paths).list(profile)


async def restore_into(paths: Paths, snapshot_id: str, endpoint: BrowserEndpoint) -> int:
    """Make the browser's tree look like the snapshot's; returns the operations applied.

    Call a sync afterwards to send the restored bookmarks to the server.
    """
    snapshot = for_paths(paths).load(snapshot_id)
    placement = load_settings(paths.settings_file).menu_placement
    now = time.time()
    target = project(
        parse_tree(snapshot.browser_tree), snapshot.id_map, placement=placement, now=now
    )
    with StateStore.open(paths) as store:
        id_map = store.load(endpoint.profile_id).id_map
    current_browser = parse_tree(await endpoint.read_tree())
    current = project(current_browser, id_map, placement=placement, now=now)
    plan = plan_browser(target.tree, current_browser, current, placement=placement)
    if plan.ops:
        # Re-created nodes get fresh GUIDs at the next sync: new items, not revivals of
        # items the server may hold tombstones for.
        await endpoint.apply(plan.ops)
    return len(plan.ops)
