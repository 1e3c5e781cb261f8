"""When to sync: debounced local changes, a cheap poll, backoff, pause.

Triggers and what they do:

- **A local change** in a profile schedules its sync after a quiet period that grows with
  the burst it belongs to: ``QUIET`` (0.75 s) after a lone change, plus however long the
  burst has lasted, up to ``debounce`` (2 s) after the last change. A single edit reaches
  the server quickly, and a burst of edits is still one sync. ``import-begin`` holds the profile's
  syncs until ``import-end`` (or ``IMPORT_HOLD_MAX`` as a safety net, in case the browser
  never says the import ended).
- **A profile connecting**, or **sync.now**, syncs at once (once any backoff is over).
- **The poll**: every ``interval`` seconds (settings.sync_interval, 60 s by default) one
  cheap ``changed_since`` request. If the server changed, every connected profile syncs;
  with no browser connected the changes are prefetched into the local mirror instead, so
  that the next browser to connect gets them at once. A sync resets the poll timer (it has
  just looked at the server), so an idle daemon makes one request per interval.
- **Failures** back off exponentially with jitter (30 s, 60 s, … up to an hour), never
  sooner than the server asked (X-Weave-Backoff / Retry-After); nothing is sent to the
  server before the backoff is over. The safety brake is not a failure: the profile waits
  for ``sync.confirm`` (or a new local change) and the others go on. Signing out stops
  everything until the next sign-in.
- **Pause** stops all syncs and polls; triggers are remembered for the resume.

The scheduler is pure logic around a ``Clock`` and a ``SyncJobs`` object that does the
work; ``step`` does whatever is due now, and ``run`` loops ``step`` and waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from daemon.errors import FoxbridgeError, NotSignedInError
from daemon.service.clock import Clock
from daemon.service.status import Brake, Problem, StatusBoard

log = logging.getLogger(__name__)

IMPORT_HOLD_MAX = 600.0  # seconds an import may hold a profile's syncs
QUIET = 0.75  # seconds without changes before a lone change is synced


@dataclass(frozen=True)
class SyncOutcome:
    summary: str  # one line for the status: "3 changes from the server, 1 uploaded"
    server_changed: bool  # we uploaded: other profiles should sync too


class BrakeStopped(FoxbridgeError):
    """A sync stopped by the safety brake; it waits for the user's confirmation."""

    def __init__(self, brake: Brake) -> None:
        super().__init__(
            f"This sync would delete {brake.deletions} of {brake.local_total} bookmarks; "
            "it waits for your confirmation."
        )
        self.brake = brake


class ServerAskedToWaitError(FoxbridgeError):
    """The server said to come back later (X-Weave-Backoff, Retry-After, 503, 409)."""

    def __init__(self, seconds: float, message: str) -> None:
        super().__init__(message)
        self.seconds = seconds


class BrowserSideError(FoxbridgeError):
    """The browser failed its part (no answer, disconnected, bad tree): retry that profile
    alone, later; the account and the other profiles are not held back."""


class SyncJobs(Protocol):
    """The work the scheduler triggers (``daemon.service.jobs.AccountJobs`` does it)."""

    def connected_profiles(self) -> list[str]: ...

    async def sync(
        self,
        profile_id: str,
        *,
        force: bool,
        progress: Callable[[int, int], None],
    ) -> SyncOutcome: ...

    async def remote_changed(self) -> bool: ...

    async def prefetch(self) -> None: ...


@dataclass(frozen=True)
class BackoffPolicy:
    first: float = 30.0
    factor: float = 2.0
    longest: float = 3600.0
    jitter: float = 0.25  # ± this share of the delay, so many clients do not return together

    def delay(self, failures: int, rng: random.Random) -> float:
        base = min(self.longest, self.first * self.factor ** max(0, failures - 1))
        return base * (1 + rng.uniform(-self.jitter, self.jitter))


class Scheduler:
    def __init__(
        self,
        jobs: SyncJobs,
        status: StatusBoard,
        clock: Clock,
        *,
        interval: float,
        paused: bool = False,
        signed_in: bool = True,
        debounce: float = 2.0,
        policy: BackoffPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._jobs = jobs
        self._status = status
        self._clock = clock
        self.interval = interval
        self.paused = paused
        self.signed_in = signed_in
        self.debounce = debounce
        self._policy = policy or BackoffPolicy()
        self._rng = rng or random.Random()
        self._due: dict[str, float] = {}  # profile → when its sync is due
        self._forced: set[str] = set()  # confirmed past the safety brake
        self._importing: dict[str, float] = {}  # profile → when its import began
        self._burst_began: dict[str, float] = {}  # profile → its first unsynced change
        self._braked: set[str] = set()  # waiting for sync.confirm
        self._next_poll = clock.now() + interval
        self._backoff_until = 0.0
        self._failures = 0
        self._wake = asyncio.Event()
        self._resting = asyncio.Event()  # set while no sync or poll runs
        self._resting.set()

    # -- triggers --------------------------------------------------------------------------

    def local_change(self, profile_id: str, kind: str = "changed") -> None:
        now = self._clock.now()
        if kind == "import-begin":
            self._importing[profile_id] = now
        elif kind == "import-end":
            self._importing.pop(profile_id, None)
        self._braked.discard(profile_id)  # the user acted: look again
        began = self._burst_began.setdefault(profile_id, now)
        self._due[profile_id] = now + min(self.debounce, QUIET + (now - began))
        self._poke()

    def sync_now(self, profile_id: str | None = None, *, force: bool = False) -> bool:
        """Sync one profile (or all connected ones) as soon as allowed; True if that is now."""
        now = self._clock.now()
        targets = [profile_id] if profile_id else self._jobs.connected_profiles()
        for target in targets:
            self._due[target] = now
            self._braked.discard(target)
            if force:
                self._forced.add(target)
        if not targets:
            self._next_poll = now  # no browser: at least refresh the mirror
        self._poke()
        return self.signed_in and not self.paused and now >= self._backoff_until

    def profile_connected(self, profile_id: str) -> None:
        self._braked.discard(profile_id)
        self._due[profile_id] = self._clock.now()
        self._poke()

    def profile_disconnected(self, profile_id: str) -> None:
        self._due.pop(profile_id, None)
        self._burst_began.pop(profile_id, None)
        self._forced.discard(profile_id)
        self._importing.pop(profile_id, None)
        self._braked.discard(profile_id)

    def pause(self) -> None:
        self.paused = True
        self._status.set_paused(True)
        self._poke()

    def resume(self) -> None:
        self.paused = False
        self._status.set_paused(False)
        self._next_poll = min(self._next_poll, self._clock.now())
        self._poke()

    def set_interval(self, seconds: float) -> None:
        self._next_poll = self._next_poll - self.interval + seconds
        self.interval = seconds
        self._poke()

    def signed_in_now(self) -> None:
        self.signed_in = True
        self._failures, self._backoff_until = 0, 0.0
        for profile_id in self._jobs.connected_profiles():
            self._due[profile_id] = self._clock.now()
        self._poke()

    def signed_out(self) -> None:
        self.signed_in = False
        self._due.clear()
        self._burst_began.clear()
        self._forced.clear()
        self._braked.clear()
        self._poke()

    def _poke(self) -> None:
        self._wake.set()

    # -- the work --------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """When ``step`` next has something to do (None: only a trigger can wake it)."""
        if self.paused or not self.signed_in:
            return None
        times = [self._next_poll, *(self._due_time(p) for p in self._due)]
        return max(min(times), self._backoff_until)

    def _due_time(self, profile_id: str) -> float:
        began = self._importing.get(profile_id)
        if began is not None:
            return max(self._due[profile_id], began + IMPORT_HOLD_MAX)
        return self._due[profile_id]

    async def step(self) -> None:
        """Do everything that is due now."""
        if self.paused or not self.signed_in:
            return
        if self._clock.now() < self._backoff_until:
            return
        synced: set[str] = set()  # each profile at most once per step: no ping-pong
        while due := self._due_profiles(exclude=synced):
            for profile_id in due:
                synced.add(profile_id)
                if not await self._sync(profile_id):
                    return
        if synced:
            self._next_poll = self._clock.now() + self.interval
        if self._clock.now() >= self._next_poll:
            await self._poll()

    def _due_profiles(self, *, exclude: set[str]) -> list[str]:
        now = self._clock.now()
        return sorted(
            profile_id
            for profile_id in self._due
            if profile_id not in self._braked
            and profile_id not in exclude
            and self._due_time(profile_id) <= now
        )

    async def _sync(self, profile_id: str) -> bool:
        self._due.pop(profile_id, None)
        self._burst_began.pop(profile_id, None)
        self._importing.pop(profile_id, None)
        force = profile_id in self._forced
        self._forced.discard(profile_id)
        self._status.sync_started(profile_id)

        def progress(done: int, total: int) -> None:
            self._status.sync_progress(profile_id, done, total)

        try:
            outcome = await self._jobs.sync(profile_id, force=force, progress=progress)
        except BrakeStopped as stop:
            self._braked.add(profile_id)
            self._status.brake_stopped(profile_id, stop.brake)
            return True
        except BrowserSideError as failure:
            log.warning("the browser failed its part of a sync: %s", failure.message)
            if profile_id in self._jobs.connected_profiles():
                self._due[profile_id] = self._clock.now() + self._policy.delay(1, self._rng)
            problem = Problem("browser", failure.message)
            self._status.sync_failed(profile_id, self._clock.wall_ms(), problem, account_wide=False)
            return True
        except Exception as failure:
            self._failed(failure, profile_id)
            if self.signed_in:
                self._due.setdefault(profile_id, self._backoff_until)
            return False
        self._succeeded()
        self._status.sync_succeeded(profile_id, self._clock.wall_ms(), outcome.summary)
        if outcome.server_changed:
            for other in self._jobs.connected_profiles():
                if other != profile_id:
                    self._due.setdefault(other, self._clock.now())
        return True

    async def _poll(self) -> None:
        self._next_poll = self._clock.now() + self.interval
        try:
            changed = await self._jobs.remote_changed()
            if changed:
                connected = self._jobs.connected_profiles()
                for profile_id in connected:
                    self._due.setdefault(profile_id, self._clock.now())
                if not connected:
                    await self._jobs.prefetch()
        except Exception as failure:
            self._failed(failure, None)
            return
        self._succeeded(quiet=not changed)
        if changed and self._due:
            await self.step()

    def _succeeded(self, *, quiet: bool = False) -> None:
        was_backing_off = self._failures > 0
        self._failures, self._backoff_until = 0, 0.0
        if was_backing_off and quiet:
            self._status.sync_succeeded(None, self._clock.wall_ms(), "")

    def _failed(self, failure: Exception, profile_id: str | None) -> None:
        at = self._clock.wall_ms()
        if isinstance(failure, NotSignedInError):
            log.info("signed out: %s", failure.message)
            self.signed_out()
            self._status.set_account(email=None, server=None)
            return
        self._failures += 1
        delay = self._policy.delay(self._failures, self._rng)
        if isinstance(failure, ServerAskedToWaitError):
            delay = max(delay, failure.seconds)
        self._backoff_until = self._clock.now() + delay
        self._next_poll = max(self._next_poll, self._backoff_until)
        if isinstance(failure, FoxbridgeError):
            message = failure.message
            log.warning("sync failed (retry in %.0f s): %s", delay, message)
        else:
            message = "An unexpected error stopped the sync; see the daemon's log."
            log.error("sync failed (retry in %.0f s)", delay, exc_info=failure)
        code = str(getattr(failure, "code", "") or _code_for(failure))
        problem = Problem(code, message)
        self._status.sync_failed(profile_id, at, problem, account_wide=True)
        self._status.set_backoff(
            Problem("backoff", f"{message} Trying again later.", at + int(delay * 1000))
        )

    # -- the loop --------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether a sync or poll is running."""
        return not self._resting.is_set()

    async def idle(self) -> None:
        """Return once no sync or poll is running."""
        await self._resting.wait()

    async def run(self) -> None:
        """Run ``step`` whenever something is due or a trigger arrives, until cancelled."""
        while True:
            self._wake.clear()
            self._resting.clear()
            try:
                await self.step()
            finally:
                self._resting.set()
            await self._wait(self.next_deadline())

    async def _wait(self, deadline: float | None) -> None:
        if self._wake.is_set():
            return
        waker = asyncio.ensure_future(self._wake.wait())
        waiters: set[asyncio.Future[object]] = {waker}
        if deadline is not None:
            waiters.add(asyncio.ensure_future(self._clock.sleep(deadline - self._clock.now())))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter


def _code_for(failure: Exception) -> str:
    if not isinstance(failure, FoxbridgeError):
        return "internal"
    from daemon.service.protocol import error_for

    return error_for(failure).code
