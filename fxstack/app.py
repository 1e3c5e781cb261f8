"""The whole local stack as one aiohttp application on one port."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from fxstack.faults import Faults
from fxstack.fxa import FxaServer, setup_fxa
from fxstack.signin_page import SigninPage, setup_signin_page
from fxstack.sync import SyncServer, setup_sync


@dataclass
class Stack:
    app: web.Application
    fxa: FxaServer
    sync: SyncServer
    faults: Faults
    signin: SigninPage
    url: str = ""  # set once the stack listens on a port


def build_stack(*, storage_db: Path | None = None) -> Stack:
    """Build the stack. ``storage_db`` None keeps Sync storage in an in-memory SQLite."""
    faults = Faults()
    app = web.Application(middlewares=[faults.middleware], client_max_size=64 * 1024 * 1024)
    fxa = setup_fxa(app, faults=faults)
    sync = setup_sync(app, db_path=storage_db, verify_token=fxa.verify_access_token, faults=faults)
    signin = setup_signin_page(app, fxa)
    fxa.code_grant = signin.redeem
    return Stack(app=app, fxa=fxa, sync=sync, faults=faults, signin=signin)
