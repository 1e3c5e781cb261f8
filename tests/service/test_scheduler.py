"""The scheduler with a manual clock: debounce, coalescing, polling, backoff, pause.

No test waits for real time: the clock moves only when a test advances it, and ``step``
does what is due at that instant.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import pytest

from daemon.errors import NetworkError, NotSignedInError
from daemon.service.clock import ManualClock
from daemon.service.scheduler import (
    BackoffPolicy,
    BrakeStopped,
    BrowserSideError,
    Scheduler,
    ServerAskedToWaitError,
    SyncOutcome,
)
from daemon.service.status import Brake, StatusBoard


class FakeJobs:
    """Records what the scheduler asked for; failures are queued by the test."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.connected: list[str] = []
        self.syncs: list[tuple[float, str, bool]] = []
        self.polls: list[float] = []
        self.prefetches: list[float] = []
        self.remote_has_changes = False
        self.sync_failures: list[Exception] = []
        self.poll_failures: list[Exception] = []
        self.uploads = False

    def connected_profiles(self) -> list[str]:
        return list(self.connected)

    async def sync(
        self, profile_id: str, *, force: bool, progress: Callable[[int, int], None]
    ) -> SyncOutcome:
        self.syncs.append((self.clock.now(), profile_id, force))
        progress(1, 2)
        if self.sync_failures:
            raise self.sync_failures.pop(0)
        uploaded, self.uploads = self.uploads, False
        return SyncOutcome("ok", server_changed=uploaded)

    async def remote_changed(self) -> bool:
        self.polls.append(self.clock.now())
        if self.poll_failures:
            raise self.poll_failures.pop(0)
        changed, self.remote_has_changes = self.remote_has_changes, False
        return changed

    async def prefetch(self) -> None:
        self.prefetches.append(self.clock.now())


T0 = 1000.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=T0)


@pytest.fixture
def jobs(clock: ManualClock) -> FakeJobs:
    return FakeJobs(clock)


@pytest.fixture
def status() -> StatusBoard:
    board = StatusBoard()
    board.set_account(email="a@example.com", server="http://127.0.0.1")
    return board


@pytest.fixture
def scheduler(jobs: FakeJobs, status: StatusBoard, clock: ManualClock) -> Scheduler:
    no_jitter = BackoffPolicy(jitter=0.0)
    return Scheduler(jobs, status, clock, interval=60, policy=no_jitter, rng=random.Random(1))


async def at(scheduler: Scheduler, clock: ManualClock, when: float) -> None:
    """Move the clock to T0 + ``when`` and do what is due."""
    clock.advance(T0 + when - clock.now())
    await scheduler.step()


def synced(jobs: FakeJobs) -> list[tuple[float, str]]:
    return [(when - T0, profile) for when, profile, _ in jobs.syncs]


async def test_a_connecting_profile_syncs_at_once(scheduler, jobs, clock) -> None:
    jobs.connected = ["p1"]
    scheduler.profile_connected("p1")
    await at(scheduler, clock, 0)
    assert synced(jobs) == [(0, "p1")]


async def test_local_changes_are_debounced_into_one_sync(scheduler, jobs, clock) -> None:
    jobs.connected = ["p1"]
    for when in (0.0, 0.5, 1.0, 1.5):
        await at(scheduler, clock, when)
        scheduler.local_change("p1")
    await at(scheduler, clock, 3.4)
    assert jobs.syncs == []  # 1.9 s after the last change
    assert scheduler.next_deadline() == T0 + 3.5
    await at(scheduler, clock, 3.5)
    assert synced(jobs) == [(3.5, "p1")]


async def test_a_lone_change_syncs_after_a_short_quiet_period(scheduler, jobs, clock) -> None:
    jobs.connected = ["p1"]
    scheduler.local_change("p1")
    assert scheduler.next_deadline() == T0 + 0.75
    await at(scheduler, clock, 0.7)
    assert jobs.syncs == []
    await at(scheduler, clock, 0.75)
    assert synced(jobs) == [(0.75, "p1")]
    # The sync ended the burst: the next lone change is quick again.
    await at(scheduler, clock, 10)
    scheduler.local_change("p1")
    assert scheduler.next_deadline() == T0 + 10.75


async def test_the_quiet_period_grows_with_the_burst(scheduler, jobs, clock) -> None:
    jobs.connected = ["p1"]
    scheduler.local_change("p1")
    scheduler.local_change("p1")  # the same moment (one batch): still a lone change
    assert scheduler.next_deadline() == T0 + 0.75
    await at(scheduler, clock, 0.25)
    scheduler.local_change("p1")
    assert scheduler.next_deadline() == T0 + 0.25 + 1.0  # the burst has lasted 0.25 s
    await at(scheduler, clock, 1.0)
    scheduler.local_change("p1")
    assert scheduler.next_deadline() == T0 + 1.0 + 1.75
    await at(scheduler, clock, 2.5)
    scheduler.local_change("p1")
    assert scheduler.next_deadline() == T0 + 2.5 + 2.0  # never more than the debounce
    await at(scheduler, clock, 4.5)
    assert synced(jobs) == [(4.5, "p1")]


async def test_an_import_holds_syncs_until_it_ends(scheduler, jobs, clock) -> None:
    jobs.connected = ["p1"]
    scheduler.local_change("p1", "import-begin")
    for second in range(1, 30):
        await at(scheduler, clock, second)
        scheduler.local_change("p1", "created")
    assert jobs.syncs == []
    scheduler.local_change("p1", "import-end")
    await at(scheduler, clock, 31)
    assert synced(jobs) == [(31, "p1")]


async def test_an_import_that_never_ends_does_not_hold_forever(scheduler, jobs, clock) -> None:
    jobs.connected = ["p1"]
    scheduler.local_change("p1", "import-begin")
    await at(scheduler, clock, 599)
    assert jobs.syncs == []
    await at(scheduler, clock, 600)
    assert synced(jobs) == [(600, "p1")]


async def test_idle_polls_once_per_interval_and_nothing_else(scheduler, jobs, clock) -> None:
    jobs.connected = ["p1"]
    for second in range(0, 3600, 5):
        await at(scheduler, clock, second + 0.5)
    assert len(jobs.polls) == 59  # at 60, 120, … 3540 s: under 60 requests an hour
    assert jobs.syncs == []


async def test_a_remote_change_seen_by_the_poll_syncs_every_connected_profile(
    scheduler, jobs, clock
) -> None:
    jobs.connected = ["p1", "p2"]
    jobs.remote_has_changes = True
    await at(scheduler, clock, 60)
    assert synced(jobs) == [(60, "p1"), (60, "p2")]


async def test_with_no_browser_remote_changes_are_prefetched(scheduler, jobs, clock) -> None:
    jobs.remote_has_changes = True
    await at(scheduler, clock, 60)
    assert jobs.prefetches == [T0 + 60]
    assert jobs.syncs == []


async def test_a_sync_resets_the_poll_timer(scheduler, jobs, clock) -> None:
    jobs.connected = ["p1"]
    await at(scheduler, clock, 50)
    scheduler.sync_now("p1")
    await at(scheduler, clock, 50)
    await at(scheduler, clock, 100)
    assert jobs.polls == []
    await at(scheduler, clock, 110)
    assert jobs.polls == [T0 + 110]


async def test_an_upload_by_one_profile_makes_the_others_sync(scheduler, jobs, clock) -> None:
    jobs.connected = ["p1", "p2"]
    jobs.uploads = True
    scheduler.local_change("p1")
    await at(scheduler, clock, 2)
    assert synced(jobs) == [(2, "p1"), (2, "p2")]


async def test_failures_back_off_exponentially(scheduler, jobs, clock, status) -> None:
    jobs.connected = ["p1"]
    jobs.sync_failures = [NetworkError("offline")] * 3
    scheduler.profile_connected("p1")
    await at(scheduler, clock, 0)
    assert status.to_dict("p1")["state"] == "backoff"
    for when in (29, 30, 89, 90, 209, 210):
        await at(scheduler, clock, when)
    assert synced(jobs) == [(0, "p1"), (30, "p1"), (90, "p1"), (210, "p1")]
    assert status.to_dict("p1")["state"] == "idle"
    assert status.to_dict("p1")["last_sync"]["ok"] is True


def test_backoff_has_jitter_and_a_ceiling() -> None:
    policy, rng = BackoffPolicy(), random.Random(7)
    delays = {round(policy.delay(1, rng), 3) for _ in range(20)}
    assert len(delays) > 1 and all(22.5 <= d <= 37.5 for d in delays)
    assert policy.delay(30, rng) <= 3600 * 1.25


async def test_the_servers_backoff_is_honoured_even_when_longer(
    scheduler, jobs, clock, status
) -> None:
    jobs.connected = ["p1"]
    jobs.sync_failures = [ServerAskedToWaitError(900, "The server asked us to wait.")]
    scheduler.sync_now("p1")
    await at(scheduler, clock, 0)
    problem = status.to_dict("p1")["problem"]
    assert problem["code"] == "backoff" and problem["retry_at"] == clock.wall_ms() + 900_000
    scheduler.sync_now("p1")  # the user insists: still not before the server's time
    for when in (60, 120, 899):
        await at(scheduler, clock, when)
    assert synced(jobs) == [(0, "p1")] and jobs.polls == []
    await at(scheduler, clock, 900)
    assert synced(jobs) == [(0, "p1"), (900, "p1")]


async def test_a_failed_poll_backs_off_too(scheduler, jobs, clock) -> None:
    jobs.poll_failures = [ServerAskedToWaitError(300, "busy")]
    await at(scheduler, clock, 60)
    await at(scheduler, clock, 120)
    await at(scheduler, clock, 359)
    assert jobs.polls == [T0 + 60]
    await at(scheduler, clock, 360)
    assert jobs.polls == [T0 + 60, T0 + 360]


async def test_a_browser_failure_retries_that_profile_only(scheduler, jobs, clock, status) -> None:
    jobs.connected = ["p1", "p2"]
    jobs.sync_failures = [BrowserSideError("The browser did not answer.")]
    scheduler.sync_now()
    await at(scheduler, clock, 0)
    assert synced(jobs) == [(0, "p1"), (0, "p2")]
    assert status.to_dict("p1")["state"] == "error"
    assert status.to_dict("p2")["state"] == "idle"
    await at(scheduler, clock, 30)
    assert synced(jobs)[-1] == (30, "p1")


async def test_pause_stops_everything_and_resume_catches_up(scheduler, jobs, clock, status) -> None:
    jobs.connected = ["p1"]
    scheduler.pause()
    assert status.to_dict("p1")["paused"] is True
    scheduler.local_change("p1")
    for when in (2, 60, 600):
        await at(scheduler, clock, when)
    assert jobs.syncs == [] and jobs.polls == []
    assert scheduler.next_deadline() is None
    assert scheduler.sync_now("p1") is False
    scheduler.resume()
    await at(scheduler, clock, 601)
    assert synced(jobs) == [(601, "p1")]


async def test_the_brake_holds_a_profile_until_confirmed(scheduler, jobs, clock, status) -> None:
    jobs.connected = ["p1"]
    jobs.sync_failures = [BrakeStopped(Brake(60, 200, ("Bank", "Mail")))]
    scheduler.sync_now("p1")
    await at(scheduler, clock, 0)
    shown = status.to_dict("p1")
    assert shown["state"] == "brake"
    assert shown["brake"]["deletions"] == 60 and shown["brake"]["local_total"] == 200
    assert shown["brake"]["preview"] == ["Bank", "Mail"]
    jobs.remote_has_changes = True
    await at(scheduler, clock, 60)
    assert len(jobs.syncs) == 1  # no automatic retry into the brake
    scheduler.sync_now("p1", force=True)  # sync.confirm
    await at(scheduler, clock, 61)
    assert jobs.syncs[-1] == (T0 + 61, "p1", True)
    assert status.to_dict("p1")["state"] == "idle"


async def test_signing_out_stops_syncing_until_the_next_sign_in(
    scheduler, jobs, clock, status
) -> None:
    jobs.connected = ["p1"]
    jobs.sync_failures = [NotSignedInError()]
    scheduler.sync_now("p1")
    await at(scheduler, clock, 0)
    assert status.to_dict("p1")["state"] == "signed-out"
    for when in (60, 3600):
        await at(scheduler, clock, when)
    assert len(jobs.syncs) == 1 and jobs.polls == []
    scheduler.signed_in_now()
    await at(scheduler, clock, 3601)
    assert synced(jobs)[-1] == (3601, "p1")


async def test_the_loop_sleeps_on_the_clock_and_wakes_on_triggers(scheduler, jobs, clock) -> None:
    jobs.connected = ["p1"]
    loop = asyncio.ensure_future(scheduler.run())
    try:
        scheduler.local_change("p1")
        for _ in range(20):
            await asyncio.sleep(0)
        assert jobs.syncs == []
        clock.advance(2.0)
        for _ in range(20):
            await asyncio.sleep(0)
        assert synced(jobs) == [(2.0, "p1")]
    finally:
        loop.cancel()


async def test_a_new_interval_takes_effect_from_the_last_poll(scheduler, jobs, clock) -> None:
    await at(scheduler, clock, 60)
    scheduler.set_interval(300)
    await at(scheduler, clock, 120)
    await at(scheduler, clock, 359)
    assert jobs.polls == [T0 + 60]
    await at(scheduler, clock, 360)
    assert jobs.polls == [T0 + 60, T0 + 360]


async def test_a_disconnected_profile_is_not_synced(scheduler, jobs, clock) -> None:
    jobs.connected = ["p1"]
    scheduler.local_change("p1")
    jobs.connected = []
    scheduler.profile_disconnected("p1")
    await at(scheduler, clock, 5)
    assert jobs.syncs == []
