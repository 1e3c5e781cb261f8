"""Sign-in through the account page over IPC: ``login.web.begin``, ``login.web.complete``.

The daemon starts the flow and keeps its secrets (PKCE verifier, one-time private key) in
memory, one flow at a time, for at most 15 minutes; the extension gets only the page's
URL, origin and the flow's ``state``. The extension's content script answers the page's
WebChannel and hands back the page's one-time code with that ``state``; the daemon
redeems it. Neither a password nor a session token passes through here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp

from daemon.errors import FoxbridgeError
from daemon.paths import Paths
from daemon.service.clock import Clock
from daemon.service.protocol import ErrorCode, ProtocolError

log = logging.getLogger(__name__)


class NoWebSignInError(ProtocolError):
    def __init__(self) -> None:
        super().__init__(
            ErrorCode.NO_PENDING_SIGN_IN,
            "No sign-in on the account page is under way (it may have expired after 15 "
            "minutes, or another one was started). Please start again.",
        )


class WebSignIn:
    """The one pending page sign-in; ``on_signed_in`` runs once the account is ready."""

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
        self._pending: Any = None  # daemon.fxa.web_login.PendingWebSignIn
        self._expires = 0.0  # on the daemon's clock

    @property
    def pending(self) -> Any:
        if self._pending is not None and self._clock.now() >= self._expires:
            log.info("a sign-in on the account page expired")
            self._pending = None
        return self._pending

    def drop(self) -> None:
        self._pending = None

    async def begin(
        self, server: str | None, client_id: str | None, *, token_server: str | None = None
    ) -> dict[str, Any]:
        """A new flow (replacing any earlier one): what the browser needs to open the page.
        ``token_server``: the account's sign-in page, but Sync data on this storage."""
        from daemon.fxa import secrets, web_login
        from daemon.fxa.servers import choose_servers

        self._pending = None
        web_login.refuse_if_signed_in(self._paths)
        secrets.check_available()  # say so now, not after the user has typed a password
        servers = await choose_servers(self._http, server, token_server)
        if client_id:
            servers = replace(servers, client_id=client_id)
        pending = web_login.begin(servers)
        self._pending = pending
        self._expires = self._clock.now() + web_login.FLOW_LIFETIME
        log.info("sign-in on the account page started (%s)", pending.origin)
        return {"url": pending.url, "origin": pending.origin, "state": pending.state}

    async def complete(self, state: str, code: str, login: dict[str, str] | None) -> dict[str, Any]:
        from daemon.fxa import web_login
        from daemon.fxa.login import default_device_name

        pending = self.pending
        if pending is None:
            raise NoWebSignInError()
        if not pending.flow.matches(state):
            # Not ours: leave the real flow alone, so a stray message cannot cancel it.
            raise web_login.WebSignInRefusedError(
                "The account page answered for another sign-in; nothing was changed."
            )
        self._pending = None  # the code is single use, whatever happens next
        try:
            account = await web_login.complete(
                self._paths,
                self._http,
                pending,
                code=code,
                state=state,
                login_hint=None if login is None else web_login.LoginHint(**login),
                device_name=default_device_name(),
            )
        except FoxbridgeError as error:
            log.info("sign-in on the account page failed: %s", error.message)
            raise
        await self._on_signed_in(account)
        return {"state": "signed-in", "email": account.email}
