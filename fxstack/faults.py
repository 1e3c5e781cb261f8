"""Fault injection: make the next matching request(s) fail the way real servers fail.

A ``Fault`` matches requests by method and path prefix and fires a bounded number of
times. Generic faults (a canned response, extra headers on the real response, a
dropped connection, a hook run before the handler) live here as one aiohttp
middleware; faults that need server state (an expired token, a node reassignment, a
record with a bad HMAC) are operations on the sync and FxA states themselves.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Hook = Callable[[web.Request], Awaitable[None]]


@dataclass
class Fault:
    path_prefix: str  # e.g. "/storage/" or "/v1/account/login"
    method: str | None = None  # None matches any method
    times: int = 1  # how many matching requests it affects
    status: int | None = None  # answer with this status instead of the real handler…
    body: Any = None  # …and this JSON body (None: empty)
    headers: dict[str, str] = field(default_factory=dict)  # sent with either response
    drop: bool = False  # close the connection without answering
    before: Hook | None = None  # run before the real handler (e.g. a foreign write)

    def matches(self, request: web.Request) -> bool:
        if self.method is not None and request.method != self.method:
            return False
        return request.path.startswith(self.path_prefix)


class Faults:
    def __init__(self) -> None:
        self._pending: list[Fault] = []
        self.fired: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        self._pending.append(fault)
        return fault

    def clear(self) -> None:
        self._pending.clear()

    def _take(self, request: web.Request) -> Fault | None:
        for fault in self._pending:
            if fault.matches(request):
                fault.times -= 1
                if fault.times <= 0:
                    self._pending.remove(fault)
                self.fired.append(fault)
                return fault
        return None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        fault = self._take(request)
        if fault is None:
            return await handler(request)
        if fault.drop:
            if request.transport is not None:
                request.transport.close()
            await asyncio.sleep(0)
            raise web.HTTPInternalServerError  # never seen: the connection is gone
        if fault.before is not None:
            await fault.before(request)
        if fault.status is not None:
            text = "" if fault.body is None else json.dumps(fault.body)
            return web.Response(
                status=fault.status,
                text=text,
                content_type="application/json",
                headers=fault.headers,
            )
        response = await handler(request)
        response.headers.update(fault.headers)
        return response
