"""Password sign-in over IPC: ``login.password``, then ``login.code`` if the server asks.

The extension sends the password once. If the server wants a confirmation code, the
daemon keeps the sign-in's inputs — the password included, because an unblock code means
logging in again — in memory only, for at most ``PENDING_LIFETIME`` (10 minutes), then
drops them. The password is never logged, written, or put in an error message; the
``PendingSignIn`` repr hides it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from daemon.errors import FoxbridgeError
from daemon.paths import Paths
from daemon.service.clock import Clock
from daemon.service.protocol import ErrorCode, ProtocolError

log = logging.getLogger(__name__)

PENDING_LIFETIME = 600.0  # seconds a password is kept while a code is awaited


@dataclass(repr=False)
class PendingSignIn:
    email: str
    password: str = field(repr=False)
    servers: Any  # daemon.fxa.servers.ServerConfig
    expires: float  # on the daemon's clock

    def __repr__(self) -> str:
        return f"PendingSignIn(email={self.email!r}, password=<hidden>)"


class NoPendingSignInError(ProtocolError):
    def __init__(self) -> None:
        super().__init__(
            ErrorCode.NO_PENDING_SIGN_IN,
            "No sign-in is waiting for a code (it may have expired after 10 minutes). "
            "Sign in with your password again.",
        )


class SignInFlow:
    """One sign-in at a time; ``on_signed_in`` runs once the account is ready."""

    def __init__(
        self,
        paths: Paths,
        http: aiohttp.ClientSession,
        clock: Clock,
        on_signed_in: Callable[[Any], Awaitable[None]],
    ) -> None:
        self._paths = paths
        self._http = http
        self._clock = clock
        self._on_signed_in = on_signed_in
        self._pending: PendingSignIn | None = None
        self._expiry: asyncio.Task[None] | None = None

    @property
    def pending(self) -> PendingSignIn | None:
        if self._pending is not None and self._clock.now() >= self._pending.expires:
            self.drop()
        return self._pending

    def drop(self) -> None:
        """Forget the waiting sign-in and its password."""
        if self._pending is not None:
            log.info("a sign-in waiting for a code was dropped with its password")
        self._pending = None
        if self._expiry is not None and self._expiry is not asyncio.current_task():
            self._expiry.cancel()
        self._expiry = None

    def _keep(self, pending: PendingSignIn) -> None:
        """Hold ``pending`` until its code comes, and drop it when it expires even if
        nobody asks again (the password must not linger in memory)."""
        if self._pending is pending:
            return
        self.drop()
        self._pending = pending

        async def expire() -> None:
            await self._clock.sleep(pending.expires - self._clock.now())
            if self._pending is pending:
                self.drop()

        self._expiry = asyncio.get_running_loop().create_task(expire())

    async def with_password(
        self, email: str, password: str, server: str | None, token_server: str | None
    ) -> dict[str, Any]:
        self.drop()
        from daemon.fxa.servers import choose_servers

        servers = await choose_servers(self._http, server, token_server)
        return await self._attempt(
            PendingSignIn(email, password, servers, self._clock.now() + PENDING_LIFETIME), None
        )

    async def with_code(self, code: str) -> dict[str, Any]:
        pending = self.pending
        if pending is None:
            raise NoPendingSignInError()
        return await self._attempt(pending, code)

    async def _attempt(self, pending: PendingSignIn, code: str | None) -> dict[str, Any]:
        from daemon.fxa.login import CodeRequired, login_with_password

        try:
            outcome = await login_with_password(
                self._paths,
                self._http,
                email=pending.email,
                password=pending.password,
                servers=pending.servers,
                code=code,
            )
        except FoxbridgeError:
            if code is None:
                self.drop()  # a wrong password is not kept; a wrong code may be retried
            raise
        if isinstance(outcome, CodeRequired):
            self._keep(pending)
            return {"state": "code-required", "kind": outcome.kind}
        self.drop()
        await self._on_signed_in(outcome)
        return {"state": "signed-in"}
