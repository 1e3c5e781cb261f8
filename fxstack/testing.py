"""Run the stack on a real loopback port in a background thread.

Tests that drive subprocesses (the CLI, the daemon, Chromium, Firefox) need the stack
reachable over real HTTP while the test itself blocks; a thread with its own event loop
gives them that. ``call`` runs a coroutine on the stack's loop, for test set-up that
touches server state.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from fxstack.app import Stack, build_stack

T = TypeVar("T")


class StackThread:
    def __init__(self, *, storage_db: Path | None = None, host: str = "127.0.0.1") -> None:
        self._storage_db = storage_db
        self._host = host
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.stack: Stack
        self.url = ""

    def start(self) -> StackThread:
        self._thread.start()
        self.call(self._start())
        return self

    async def _start(self) -> None:
        self.stack = build_stack(storage_db=self._storage_db)
        self._runner = web.AppRunner(self.stack.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{self._host}:{port}"
        self.stack.url = self.url

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout)

    def stop(self) -> None:
        if self._runner is not None:
            self.call(self._runner.cleanup())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> StackThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
