"""The work the scheduler triggers, done with the signed-in account and the bookmark engine.

``AccountJobs`` keeps one Sync session (``SyncClient``) for the signed-in account and
uses it for the cheap poll, for syncing a connected profile through the engine, and for
prefetching remote changes into the store's mirror while no browser is connected. It
translates the engine's and the Sync client's outcomes into the scheduler's terms (safety
brake, "the server asked us to wait", a failure on the browser's side).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

from daemon.errors import AuthError, FoxbridgeError, NetworkError
from daemon.paths import Paths
from daemon.service.profiles import ProfileRegistry
from daemon.service.scheduler import (
    BrakeStopped,
    BrowserSideError,
    ServerAskedToWaitError,
    SyncOutcome,
)
from daemon.service.status import Brake
from daemon.settings import Settings

log = logging.getLogger(__name__)

COLLECTION = "bookmarks"


class AccountJobs:
    def __init__(
        self,
        paths: Paths,
        profiles: ProfileRegistry,
        settings: Callable[[], Settings],
        http: aiohttp.ClientSession,
    ) -> None:
        self._paths = paths
        self._profiles = profiles
        self._settings = settings
        self._http = http
        self._client: Any = None  # daemon.sync.client.SyncClient, made on first use
        self._store: Any = None  # daemon.bookmarks.store, opened on first use
        self._seen: float | None = None  # the bookmarks collection's last-modified we know
        self._lock = asyncio.Lock()  # one conversation with the server at a time

    def connected_profiles(self) -> list[str]:
        return self._profiles.ids()

    def forget_session(self) -> None:
        """Drop the Sync session (after sign-in, sign-out, or an authentication failure)."""
        self._client = None
        self._seen = None

    async def _session(self) -> Any:
        if self._client is None:
            from daemon.fxa.account import load_account
            from daemon.sync.client import SyncClient

            account = load_account(self._paths)
            credentials = account.credentials(self._http)
            self._client = await SyncClient.connect(credentials, http=self._http)
        return self._client

    def _open_store(self) -> Any:
        if self._store is None:
            from daemon.bookmarks.store import Store

            self._store = Store.open(self._paths.state_db)
        return self._store

    # -- the scheduler's jobs --------------------------------------------------------------

    async def sync(
        self, profile_id: str, *, force: bool, progress: Callable[[int, int], None]
    ) -> SyncOutcome:
        from daemon.bookmarks.engine import sync_profile

        endpoint = self._profiles.get(profile_id)
        if endpoint is None:
            raise BrowserSideError("The browser profile disconnected before its sync.")
        async with self._lock, self._translated():
            client = await self._session()
            report = await sync_profile(
                endpoint,
                client,
                self._open_store(),
                self._settings(),
                force=force,
                progress=progress,
            )
        endpoint.changed_at.clear()
        last_modified = getattr(report, "last_modified", None)
        if isinstance(last_modified, int | float):
            self._seen = float(last_modified)
        return SyncOutcome(summary=_summary(report), server_changed=_uploaded(report) > 0)

    async def remote_changed(self) -> bool:
        async with self._lock, self._translated():
            client = await self._session()
            if self._seen is not None and not await client.changed_since(self._seen):
                return False
            collections = await client.info_collections()
            latest = float(collections.get(COLLECTION, 0.0))
            changed = self._seen is None or latest > self._seen
            self._seen = latest
            return changed

    async def prefetch(self) -> None:
        """Download remote changes into the mirror of every profile this daemon knows."""
        from daemon.bookmarks import engine

        prefetch = getattr(engine, "prefetch", None)
        if prefetch is None:
            log.debug("the engine cannot prefetch; remote changes wait for a browser")
            return
        async with self._lock, self._translated():
            client = await self._session()
            await prefetch(client, self._open_store())

    # -- snapshots -------------------------------------------------------------------------

    async def list_snapshots(self) -> list[dict[str, Any]]:
        from daemon.bookmarks import snapshots

        return [entry.to_dict() for entry in snapshots.list_snapshots(self._paths)]

    async def restore_snapshot(self, profile_id: str, snapshot_id: str) -> None:
        from daemon.bookmarks import snapshots

        endpoint = self._profiles.get(profile_id)
        if endpoint is None:
            raise BrowserSideError("The browser profile is not connected.")
        await snapshots.restore_into(self._paths, snapshot_id, endpoint)

    # -- translating outcomes ----------------------------------------------------------------

    def _translated(self) -> _Translate:
        return _Translate(self)


class _Translate:
    """Turns engine and Sync failures into the scheduler's outcomes."""

    def __init__(self, jobs: AccountJobs) -> None:
        self._jobs = jobs

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, kind: Any, failure: BaseException | None, tb: Any) -> bool:
        if failure is None or not isinstance(failure, Exception):
            return False
        from daemon.bookmarks.brake import SafetyBrakeError
        from daemon.sync.errors import BackoffError, NodeReassignedError

        if isinstance(failure, SafetyBrakeError):
            preview = failure.preview
            raise BrakeStopped(
                Brake(
                    deletions=preview.deletions,
                    local_total=preview.local_total,
                    preview=tuple(preview.titles[:10]),
                    remote_deletions=preview.remote_deletions,
                    remote_total=preview.remote_total,
                )
            ) from failure
        if isinstance(failure, BackoffError):
            raise ServerAskedToWaitError(failure.retry_after, failure.message) from failure
        if isinstance(failure, AuthError | NodeReassignedError):
            self._jobs.forget_session()
        if isinstance(failure, FoxbridgeError):
            return False
        if isinstance(failure, aiohttp.ClientError | OSError):
            what = type(failure).__name__
            raise NetworkError(f"Cannot reach the Sync server ({what}).") from failure
        return False


def _uploaded(report: Any) -> int:
    for name in ("uploaded", "records_uploaded", "outgoing"):
        value = getattr(report, name, None)
        if isinstance(value, int):
            return value
        if isinstance(value, list | tuple | set | dict):
            return len(value)
    return 0


def _summary(report: Any) -> str:
    summary = getattr(report, "summary", None)
    if callable(summary):
        summary = summary()
    if isinstance(summary, str):
        return summary
    return "Synced."
