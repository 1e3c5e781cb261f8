"""The status object of docs/ipc.md, kept up to date and pushed to whoever listens.

The daemon has one account and several browser profiles; the status an extension sees
is the account's (signed in, paused, backing off) combined with its own profile's (syncing,
progress, last sync, safety brake). ``StatusBoard`` holds both and calls its listeners on
every change; the daemon turns that into ``status`` notifications. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    retry_at: int | None = None  # ms since the epoch, for backoff

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.retry_at is not None:
            data["retry_at"] = self.retry_at
        return data


@dataclass(frozen=True)
class LastSync:
    at: int  # ms since the epoch
    ok: bool
    summary: str


@dataclass(frozen=True)
class Brake:
    deletions: int
    local_total: int
    preview: tuple[str, ...]  # the first titles that would go
    remote_deletions: int = 0
    remote_total: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "deletions": self.deletions,
            "local_total": self.local_total,
            "remote_deletions": self.remote_deletions,
            "remote_total": self.remote_total,
            "preview": list(self.preview),
        }


@dataclass
class ProfileStatus:
    syncing: bool = False
    progress: tuple[int, int] | None = None
    last_sync: LastSync | None = None
    brake: Brake | None = None
    problem: Problem | None = None  # this profile's last sync failed (browser side)


@dataclass
class StatusBoard:
    signed_in: bool = False
    email: str | None = None
    server: str | None = None
    paused: bool = False
    backoff: Problem | None = None  # the whole account waits (server asked, or failures)
    problem: Problem | None = None  # the account's last failure (network, server, auth)
    profiles: dict[str, ProfileStatus] = field(default_factory=dict)
    _listeners: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def profile(self, profile_id: str) -> ProfileStatus:
        return self.profiles.setdefault(profile_id, ProfileStatus())

    # -- updates (each notifies) ---------------------------------------------------------------

    def set_account(self, *, email: str | None, server: str | None) -> None:
        self.signed_in = email is not None
        self.email, self.server = email, server
        if not self.signed_in:
            self.backoff = self.problem = None
            for status in self.profiles.values():
                status.brake = status.problem = None
                status.syncing, status.progress = False, None
        self.changed()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self.changed()

    def sync_started(self, profile_id: str | None) -> None:
        if profile_id is not None:
            status = self.profile(profile_id)
            status.syncing, status.progress = True, None
        self.changed()

    def sync_progress(self, profile_id: str, done: int, total: int) -> None:
        self.profile(profile_id).progress = (done, total)
        self.changed()

    def sync_succeeded(self, profile_id: str | None, at: int, summary: str) -> None:
        self.backoff = self.problem = None
        if profile_id is not None:
            status = self.profile(profile_id)
            status.syncing, status.progress, status.brake, status.problem = False, None, None, None
            status.last_sync = LastSync(at, True, summary)
        self.changed()

    def sync_failed(
        self, profile_id: str | None, at: int, problem: Problem, *, account_wide: bool
    ) -> None:
        if account_wide:
            self.problem = problem
        if profile_id is not None:
            status = self.profile(profile_id)
            status.syncing, status.progress = False, None
            status.last_sync = LastSync(at, False, problem.message)
            if not account_wide:
                status.problem = problem
        self.changed()

    def brake_stopped(self, profile_id: str, brake: Brake) -> None:
        status = self.profile(profile_id)
        status.syncing, status.progress, status.brake = False, None, brake
        self.changed()

    def set_backoff(self, problem: Problem | None) -> None:
        self.backoff = problem
        self.changed()

    def forget_profile(self, profile_id: str) -> None:
        if self.profiles.pop(profile_id, None) is not None:
            self.changed()

    # -- the status object ---------------------------------------------------------------------

    def to_dict(self, profile_id: str | None = None) -> dict[str, Any]:
        mine = self.profiles.get(profile_id) if profile_id else None
        syncing = mine.syncing if mine else any(p.syncing for p in self.profiles.values())
        problem = (mine.problem if mine else None) or self.problem
        if not self.signed_in:
            state = "signed-out"
        elif syncing:
            state = "syncing"
        elif mine is not None and mine.brake is not None:
            state = "brake"
        elif self.backoff is not None:
            state, problem = "backoff", self.backoff
        elif problem is not None:
            state = "error"
        else:
            state = "idle"
        last = mine.last_sync if mine else self._latest_sync()
        progress = mine.progress if mine else None
        brake = mine.brake if mine else None
        return {
            "signed_in": self.signed_in,
            "email": self.email,
            "server": self.server,
            "paused": self.paused,
            "state": state,
            "progress": {"done": progress[0], "total": progress[1]} if progress else None,
            "last_sync": {"at": last.at, "ok": last.ok, "summary": last.summary} if last else None,
            "problem": problem.to_dict() if problem else None,
            "brake": brake.to_dict() if brake else None,
        }

    def _latest_sync(self) -> LastSync | None:
        finished = [p.last_sync for p in self.profiles.values() if p.last_sync is not None]
        return max(finished, key=lambda last: last.at) if finished else None
