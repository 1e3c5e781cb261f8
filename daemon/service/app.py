"""The daemon: the pieces of the service put together, and the IPC methods of docs/ipc.md.

``DaemonService`` owns the listener, the connected profiles, the scheduler, the sign-in
flow and the status board, and answers what the extension (or the CLI) asks. Each
connection starts anonymous; an extension's ``hello`` makes it a browser profile (its
tree is then read and synced), a ``hello`` with role ``cli`` makes it a command-line
client, which is never asked for a tree. Status changes are pushed to every connected
extension as ``status`` notifications, each seeing its own profile's part.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from daemon import __version__
from daemon.errors import FoxbridgeError, NotSignedInError
from daemon.paths import Paths
from daemon.service import protocol
from daemon.service.clock import Clock, LoopClock
from daemon.service.connection import Connection
from daemon.service.jobs import AccountJobs
from daemon.service.profiles import BrowserProfile, ProfileRegistry
from daemon.service.protocol import ErrorCode, Notification, ProtocolError, Request, Role
from daemon.service.scheduler import Scheduler
from daemon.service.server import Listener
from daemon.service.signin import SignInFlow
from daemon.service.status import StatusBoard
from daemon.service.web_signin import WebSignIn
from daemon.settings import MenuPlacement, Settings, load_settings, save_settings

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 10.0  # seconds a running sync may take to finish when the daemon stops

Method = Callable[[Connection, dict[str, Any]], Awaitable[Any]]


class DaemonService:
    def __init__(
        self,
        paths: Paths,
        http: aiohttp.ClientSession,
        *,
        clock: Clock | None = None,
        debounce: float = 2.0,
    ) -> None:
        self.paths = paths
        self.http = http
        self.clock = clock or LoopClock()
        self.settings: Settings = load_settings(paths.settings_file)
        self.status = StatusBoard(paused=self.settings.paused)
        self.profiles = ProfileRegistry()
        self.jobs = AccountJobs(paths, self.profiles, lambda: self.settings, http)
        self.scheduler = Scheduler(
            self.jobs,
            self.status,
            self.clock,
            interval=self.settings.sync_interval,
            paused=self.settings.paused,
            signed_in=False,
            debounce=debounce,
        )
        self.signin = SignInFlow(paths, http, self.clock, self._signed_in)
        self.web_signin = WebSignIn(paths, http, self.clock, self._signed_in)
        self.listener = Listener(paths, self._on_stream)
        self._connections: set[Connection] = set()
        self._scheduler_task: asyncio.Task[None] | None = None
        self._broadcast_pending = False
        self._methods: dict[str, Method] = {
            "hello": self._hello,
            "status": self._status,
            "login.password": self._login_password,
            "login.code": self._login_code,
            "login.web.begin": self._login_web_begin,
            "login.web.complete": self._login_web_complete,
            "logout": self._logout,
            "sync.now": self._sync_now,
            "sync.pause": self._pause,
            "sync.resume": self._resume,
            "sync.confirm": self._confirm,
            "settings.get": self._settings_get,
            "settings.set": self._settings_set,
            "snapshots.list": self._snapshots_list,
            "snapshots.restore": self._snapshots_restore,
        }
        self.status.subscribe(self._status_changed)

    # -- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Take the lock, listen, read the account, start scheduling."""
        await self.listener.start()
        self._load_account()
        self._scheduler_task = asyncio.get_running_loop().create_task(self.scheduler.run())

    def _load_account(self) -> None:
        from daemon.fxa.account import load_account

        try:
            account = load_account(self.paths)
        except NotSignedInError:
            self.status.set_account(email=None, server=None)
            return
        self.status.set_account(email=account.email, server=account.servers.content_url)
        self.scheduler.signed_in_now()

    def _notice_sign_in_elsewhere(self) -> None:
        """``foxbridge login`` may have signed in while the daemon ran: look again."""
        if not self.status.signed_in and self.paths.account_file.exists():
            self.jobs.forget_session()
            self._load_account()

    async def stop(self) -> None:
        """Stop cleanly: no new connections, browsers let go, a running sync given a few
        seconds to finish (then abandoned), and only then the lock released.

        An abandoned sync is safe: the engine records new browser ids as they come and
        commits its state in one transaction at the end, so the next sync finishes the job.
        Browsers are let go first so that a sync waiting on one ends at once.
        """
        log.info("stopping")
        try:
            await self.listener.stop_accepting()
            await asyncio.gather(*(_close(connection) for connection in list(self._connections)))
            task = self._scheduler_task
            if task is not None:
                if self.scheduler.busy:
                    log.info("waiting up to %.0f s for the running sync", SHUTDOWN_GRACE)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.scheduler.idle(), SHUTDOWN_GRACE)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        finally:
            self.signin.drop()
            self.jobs.close()
            self.listener.release()

    # -- connections ---------------------------------------------------------------------

    async def _on_stream(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = Connection(reader, writer, self)
        self._connections.add(connection)
        log.debug("%r connected", connection)
        await connection.serve()

    async def handle_request(self, connection: Connection, request: Request) -> Any:
        params = protocol.validate_call(request, connection.role)
        return await self._methods[request.method](connection, params)

    async def handle_notification(self, connection: Connection, notification: Notification) -> None:
        params = protocol.validate_call(notification, connection.role)
        if notification.method == "host.hello":
            log.info("host %s relaying for %s", params["host_version"], params["origin"])
        elif notification.method == "bookmarks.changed":
            self._bookmarks_changed(connection, params["events"])

    async def connection_closed(self, connection: Connection) -> None:
        self._connections.discard(connection)
        profile = self.profiles.disconnect(connection)
        if profile is not None:
            log.info("profile %s disconnected", profile.profile_id)
            self.scheduler.profile_disconnected(profile.profile_id)
            self.status.forget_profile(profile.profile_id)

    # -- status notifications -------------------------------------------------------------

    def _status_changed(self) -> None:
        # Coalesce a burst of changes (progress ticks) into one notification per turn.
        if self._broadcast_pending:
            return
        self._broadcast_pending = True
        with contextlib.suppress(RuntimeError):  # no loop: nothing connected to tell
            asyncio.get_running_loop().call_soon(self._broadcast)

    def _broadcast(self) -> None:
        self._broadcast_pending = False
        for connection in list(self._connections):
            if connection.role == Role.EXTENSION:
                status = self.status.to_dict(connection.profile_id)
                task = asyncio.get_running_loop().create_task(connection.notify("status", status))
                task.add_done_callback(_log_failure)

    # -- the methods -----------------------------------------------------------------------

    async def _hello(self, connection: Connection, params: dict[str, Any]) -> Any:
        if connection.role != Role.UNKNOWN:
            raise ProtocolError(ErrorCode.WRONG_ROLE, "This connection already said hello.")
        connection.role = Role(params["role"])
        self._notice_sign_in_elsewhere()
        if connection.role == Role.EXTENSION:
            described = params["profile"]
            profile = BrowserProfile(
                described["id"], described["browser"], described["name"], connection
            )
            connection.profile_id = profile.profile_id
            replaced = self.profiles.connect(profile)
            if replaced is not None:
                log.info("profile %s reconnected", profile.profile_id)
            log.info("profile %s connected (%s)", profile.profile_id, profile.display_name)
            self.status.profile(profile.profile_id)
            self.scheduler.profile_connected(profile.profile_id)
        return {
            "daemon_version": __version__,
            "status": self.status.to_dict(connection.profile_id),
        }

    async def _status(self, connection: Connection, params: dict[str, Any]) -> Any:
        self._notice_sign_in_elsewhere()
        return self.status.to_dict(connection.profile_id)

    async def _login_password(self, connection: Connection, params: dict[str, Any]) -> Any:
        return await self.signin.with_password(
            params["email"], params["password"], params["server"], params["token_server"]
        )

    async def _login_code(self, connection: Connection, params: dict[str, Any]) -> Any:
        return await self.signin.with_code(params["code"])

    async def _signed_in(self, account: Any) -> None:
        log.info("signed in")
        self.jobs.forget_session()
        self.status.set_account(email=account.email, server=account.servers.content_url)
        self.scheduler.signed_in_now()

    async def _login_web_begin(self, connection: Connection, params: dict[str, Any]) -> Any:
        begun = await self.web_signin.begin(
            params["server"], params["client_id"], token_server=params["token_server"]
        )
        if params["open_in_browser"]:  # from the command line: a browser opens the page
            begun["opened_in"] = await self._open_sign_in_page(begun)
        return begun

    async def _open_sign_in_page(self, begun: dict[str, Any]) -> str | None:
        """Ask one connected browser to open the account page (its extension then answers
        the page); the browser's name, or None when none is connected."""
        for profile in reversed(self.profiles.all()):
            try:
                await profile.connection.notify("login.web.open", begun)
            except FoxbridgeError:
                continue
            return profile.display_name
        return None

    async def _login_web_complete(self, connection: Connection, params: dict[str, Any]) -> Any:
        return await self.web_signin.complete(params["state"], params["code"], params["login"])

    async def _logout(self, connection: Connection, params: dict[str, Any]) -> Any:
        from daemon.fxa.account import load_account

        self.signin.drop()
        self.web_signin.drop()
        self.scheduler.signed_out()
        self.jobs.forget_session()
        try:
            account = load_account(self.paths)
        except NotSignedInError:
            account = None
        if account is not None:
            await account.logout(self.http)
        self.status.set_account(email=None, server=None)
        return {}

    def _require_signed_in(self) -> None:
        self._notice_sign_in_elsewhere()
        if not self.status.signed_in:
            raise NotSignedInError("Not signed in. Sign in to your Firefox Account first.")

    async def _sync_now(self, connection: Connection, params: dict[str, Any]) -> Any:
        self._require_signed_in()
        started = self.scheduler.sync_now(connection.profile_id)
        # How many browser profiles will sync: none means only the server was looked at.
        profiles = 1 if connection.profile_id else len(self.profiles.ids())
        return {"started": started, "profiles": profiles}

    async def _confirm(self, connection: Connection, params: dict[str, Any]) -> Any:
        self._require_signed_in()
        # From a browser: its own profile; from the command line: every connected one.
        started = self.scheduler.sync_now(connection.profile_id, force=True)
        return {"started": started}

    async def _pause(self, connection: Connection, params: dict[str, Any]) -> Any:
        self._change_settings({"paused": True})
        return {"paused": True}

    async def _resume(self, connection: Connection, params: dict[str, Any]) -> Any:
        self._change_settings({"paused": False})
        return {"paused": False}

    def _bookmarks_changed(self, connection: Connection, events: list[dict[str, Any]]) -> None:
        profile = self.profiles.get(connection.profile_id or "")
        if profile is None or profile.connection is not connection:
            return
        profile.note_changes(events)
        for event in events:
            self.scheduler.local_change(profile.profile_id, event["type"])

    async def _settings_get(self, connection: Connection, params: dict[str, Any]) -> Any:
        return self.settings.to_dict()

    async def _settings_set(self, connection: Connection, params: dict[str, Any]) -> Any:
        self._change_settings(params)
        return self.settings.to_dict()

    def _change_settings(self, changes: dict[str, Any]) -> None:
        """Apply already-validated changes, persist them, and act on them."""
        for key, value in changes.items():
            setattr(self.settings, key, MenuPlacement(value) if key == "menu_placement" else value)
        save_settings(self.paths.settings_file, self.settings)
        if "sync_interval" in changes:
            self.scheduler.set_interval(self.settings.sync_interval)
        if "paused" in changes and changes["paused"] != self.scheduler.paused:
            if changes["paused"]:
                self.scheduler.pause()
            else:
                self.scheduler.resume()
        if "menu_placement" in changes:
            self.scheduler.sync_now()  # the browser's side of the menu moves

    async def _snapshots_list(self, connection: Connection, params: dict[str, Any]) -> Any:
        return await self.jobs.list_snapshots(connection.profile_id)

    async def _snapshots_restore(self, connection: Connection, params: dict[str, Any]) -> Any:
        self._require_signed_in()
        profile_id, changes = await self.jobs.restore_snapshot(params["id"])
        # The user asked for exactly this tree: its deletions pass the safety brake.
        self.scheduler.sync_now(profile_id, force=True)
        return {"restored": True, "changes": changes}


async def _close(connection: Connection) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(connection.close(), 2)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        failure = task.exception()
        if isinstance(failure, FoxbridgeError):
            log.info("could not send a status notification: %s", failure.message)
        else:
            log.error("could not send a status notification", exc_info=failure)
