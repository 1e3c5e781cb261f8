"""A protocol-faithful double of the Firefox Accounts auth server, its OAuth routes and a
minimal profile server, for tests and demos.

``setup_fxa(app, faults=…)`` adds the routes to the stack's application and returns the
``FxaServer``, whose methods are the test controls (create accounts, read the mailbox,
expire tokens, disconnect devices) and whose ``verify_access_token`` the tokenserver uses.
"""

from __future__ import annotations

from aiohttp import web

from fxstack.faults import Faults
from fxstack.fxa import (
    controls,
    routes_account,
    routes_devices,
    routes_oauth,
    routes_public,
    routes_session,
)
from fxstack.fxa.server import FxaServer
from fxstack.fxa.state import OLDSYNC, Email, StackAccount, VerifiedToken

__all__ = ["OLDSYNC", "Email", "FxaServer", "StackAccount", "VerifiedToken", "setup_fxa"]


def setup_fxa(app: web.Application, *, faults: Faults) -> FxaServer:
    server = FxaServer(faults=faults)
    for module in (
        routes_account,
        routes_session,
        routes_oauth,
        routes_devices,
        routes_public,
        controls,
    ):
        module.add_routes(app.router, server)
    return server
