"""Time for the scheduler: the event loop's monotonic clock, or a manual one for tests.

The scheduler never calls ``time`` or ``asyncio.sleep`` itself; it asks a ``Clock``. Tests
give it a ``ManualClock`` and move time forward by hand, so debounce, polling and backoff
are tested exactly and without waiting.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...  # seconds, monotonic

    def wall_ms(self) -> int: ...  # milliseconds since the epoch, for status messages

    async def sleep(self, seconds: float) -> None: ...


class LoopClock:
    """The real clock."""

    def now(self) -> float:
        return time.monotonic()

    def wall_ms(self) -> int:
        return int(time.time() * 1000)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """A clock that moves only when ``advance`` is called."""

    def __init__(self, start: float = 1000.0, wall_start_ms: int = 1_700_000_000_000) -> None:
        self._now = start
        self._wall_offset_ms = wall_start_ms - int(start * 1000)
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def now(self) -> float:
        return self._now

    def wall_ms(self) -> int:
        return int(self._now * 1000) + self._wall_offset_ms

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self._now + max(0.0, seconds), future))
        self._wake_due()
        await future

    def advance(self, seconds: float) -> None:
        self._now += seconds
        self._wake_due()

    def _wake_due(self) -> None:
        waiting = []
        for deadline, future in self._sleepers:
            if future.done():
                continue
            if deadline <= self._now:
                future.set_result(None)
            else:
                waiting.append((deadline, future))
        self._sleepers = waiting
