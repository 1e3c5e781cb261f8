"""The work the scheduler triggers, done with the signed-in account and the bookmark engine.

``AccountJobs`` keeps one Sync session (``SyncClient``) for the signed-in account and
uses it for the cheap poll, for syncing a connected profile through the engine, and —
when the engine offers ``prefetch`` — for downloading remote changes into the store's
mirror while no browser is connected. It
translates the engine's and the Sync client's outcomes into the scheduler's terms (safety
brake, "the server asked us to wait", a failure on the browser's side).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp

from daemon.bookmarks import snapshots
from daemon.bookmarks.brake import SafetyBrakeError
from daemon.bookmarks.chrome import BrowserTreeError
from daemon.bookmarks.engine import BrowserApplyError, sync_profile
from daemon.bookmarks.snapshots import Snapshots
from daemon.bookmarks.store import StateStore
from daemon.errors import AuthError, FoxbridgeError, NetworkError, NotSignedInError
from daemon.paths import Paths
from daemon.service.memory import release_memory
from daemon.service.profiles import ProfileRegistry
from daemon.service.scheduler import (
    BrakeStopped,
    BrowserSideError,
    ServerAskedToWaitError,
    SyncOutcome,
)
from daemon.service.status import Brake
from daemon.settings import Settings
from daemon.sync.client import SyncClient
from daemon.sync.errors import BackoffError, NodeReassignedError

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
        self._client: SyncClient | None = None  # made on first use
        self._store: StateStore | None = None  # opened on first use
        # What the last poll saw: the account-wide timestamp (for X-If-Modified-Since)
        # and the bookmarks collection's (to tell our own writes from other clients').
        self._seen_any: float | None = None
        self._seen_bookmarks: float | None = None
        self._lock = asyncio.Lock()  # one conversation with the server at a time

    def connected_profiles(self) -> list[str]:
        return self._profiles.ids()

    def forget_session(self) -> None:
        """Drop the Sync session (after sign-in, sign-out, or an authentication failure)."""
        self._client = None
        self._seen_any = self._seen_bookmarks = None

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    async def _session(self) -> SyncClient:
        if self._client is None:
            from daemon.fxa.account import load_account

            account = load_account(self._paths)
            credentials = account.credentials(self._http)
            self._client = await SyncClient.connect(credentials, http=self._http)
        return self._client

    def _open_store(self) -> StateStore:
        if self._store is None:
            self._store = StateStore.open(self._paths)
        return self._store

    def _snapshots(self) -> Snapshots:
        return Snapshots(self._paths.snapshots_dir, keep=self._settings().snapshots_keep)

    # -- the scheduler's jobs --------------------------------------------------------------

    async def sync(
        self, profile_id: str, *, force: bool, progress: Callable[[int, int], None]
    ) -> SyncOutcome:
        endpoint = self._profiles.get(profile_id)
        if endpoint is None:
            raise BrowserSideError("The browser profile disconnected before its sync.")

        reported = dict(endpoint.changed_at)  # changes reported during the sync stay
        changed_at = {node: at / 1000 for node, at in reported.items()}
        browser_unchanged = endpoint.unchanged_since_sync
        changes_seen = endpoint.changes_reported
        endpoint.changes_synced = None  # until this sync succeeds
        async with self._lock, _translated(self):
            client = await self._session()
            store = self._open_store()
            report = await sync_profile(
                endpoint,
                client,
                store,
                self._settings(),
                force=force,
                progress=progress,
                snapshots=self._snapshots(),
                changed_at=changed_at,
                browser_unchanged=browser_unchanged,
            )
            synced_to = store.load(profile_id, whole=False).last_modified
        if report.downloaded or report.created or report.uploaded:
            release_memory()  # a large sync leaves a large heap behind
        endpoint.forget_changes(reported)
        endpoint.changes_synced = changes_seen
        if synced_to is not None:
            self._seen_bookmarks = max(self._seen_bookmarks or 0.0, synced_to)
        return SyncOutcome(summary=report.summary(), server_changed=report.uploaded > 0)

    async def remote_changed(self) -> bool:
        """The cheap poll: one request when nothing changed anywhere in the account."""
        async with self._lock, _translated(self):
            client = await self._session()
            if self._seen_any is not None and not await client.changed_since(self._seen_any):
                return False
            collections = await client.info_collections()
            self._seen_any = max(collections.values(), default=0.0)
            latest = collections.get(COLLECTION, 0.0)
            changed = self._seen_bookmarks is None or latest > self._seen_bookmarks
            self._seen_bookmarks = latest
            return changed

    async def prefetch(self) -> None:
        """Download remote changes while no browser is connected (when the engine can)."""
        from daemon.bookmarks import engine

        prefetch = getattr(engine, "prefetch", None)
        if prefetch is None:
            log.debug("the engine cannot prefetch; remote changes wait for a browser")
            return
        async with self._lock, _translated(self):
            await prefetch(await self._session(), self._open_store())

    # -- snapshots -------------------------------------------------------------------------

    async def list_snapshots(self, profile_id: str | None) -> list[dict[str, Any]]:
        return [info.to_json() for info in self._snapshots().list(profile_id)]

    async def restore_snapshot(self, snapshot_id: str) -> tuple[str, int]:
        """Put a snapshot's bookmarks back into the browser profile it was taken of.

        Returns that profile's id and the number of operations applied; the caller then
        syncs the profile, so the restored tree reaches the server like any local edit.
        """
        profile_id = self._snapshots().load(snapshot_id).info.profile
        endpoint = self._profiles.get(profile_id)
        if endpoint is None:
            raise FoxbridgeError(
                "The browser profile this snapshot was taken of is not connected; "
                "open that browser (with the foxbridge extension) and try again."
            )
        async with self._lock, _translated(self):
            changes = await snapshots.restore_into(self._paths, snapshot_id, endpoint)
        return profile_id, changes


@contextlib.asynccontextmanager
async def _translated(jobs: AccountJobs) -> AsyncIterator[None]:
    """Turns engine and Sync failures into the scheduler's outcomes."""
    try:
        yield
    except SafetyBrakeError as stop:
        preview = stop.preview
        raise BrakeStopped(
            Brake(
                deletions=preview.deletions,
                local_total=preview.local_total,
                preview=tuple(preview.titles[:10]),
                remote_deletions=preview.remote_deletions,
                remote_total=preview.remote_total,
            )
        ) from stop
    except BackoffError as wait:
        raise ServerAskedToWaitError(wait.retry_after, wait.message) from wait
    except (BrowserApplyError, BrowserTreeError) as failure:
        raise BrowserSideError(failure.message) from failure
    except (AuthError, NotSignedInError, NodeReassignedError):
        jobs.forget_session()  # a new token, a new node or a new account: start afresh
        raise
    except (aiohttp.ClientError, OSError) as failure:
        what = type(failure).__name__
        raise NetworkError(f"Cannot reach the Sync server ({what}).") from failure
