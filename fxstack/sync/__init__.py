"""Firefox Sync 1.5 for the local stack: the tokenserver and SQLite-backed storage.

``setup_sync`` mounts ``/token/1.0/sync/1.5``, ``/storage/1.5/<uid>/…`` and the test
controls on the stack's application. ``SyncServer`` is the handle tests use to reach
into server state: expire tokens, move a user to a new node, corrupt a record, change
the limits, run a hook before a request, count requests.

The same controls over HTTP, for tests in another process (``POST``, JSON bodies):

- ``/__stack__/sync/requests``: storage requests so far, ``{"GET /storage/1.5/1/…": n}``;
- ``/__stack__/sync/configuration`` ``{limit: value}``: change info/configuration;
- ``/__stack__/sync/expire-tokens``: every storage token issued so far expires;
- ``/__stack__/sync/reassign`` ``{fxa_uid}``: move the user to a new, empty node;
- ``/__stack__/sync/corrupt`` ``{uid, collection, id}``: break one record's HMAC;
- ``/__stack__/sync/foreign-write`` ``{uid, collection, records, method?, path_contains?}``:
  write those BSOs just before the next matching storage request;
- ``/__stack__/sync/fault`` ``{path_prefix, method?, times?, status?, body?, headers?,
  drop?}``: a generic ``fxstack.faults.Fault``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any

from aiohttp import web

from fxstack.faults import Fault, Faults
from fxstack.sync.bso import Limits, parse_write
from fxstack.sync.db import StorageDB, format_ts
from fxstack.sync.storage import PendingHook, StorageService
from fxstack.sync.tokenserver import TokenServer, TokenVerifier

__all__ = ["Limits", "SyncServer", "setup_sync"]


class SyncServer:
    def __init__(
        self, *, db_path: Path | None, verify_token: TokenVerifier, faults: Faults | None = None
    ) -> None:
        self.db = StorageDB(db_path)
        self.tokens = TokenServer(verify_token, allocate_uid=self._allocate_uid)
        self.limits = Limits()
        self.storage = StorageService(self.db, self.tokens, self.limits)
        self.faults = faults if faults is not None else Faults()

    def _allocate_uid(self) -> int:
        known = [user.storage_uid for user in self.tokens.users.values()]
        return max([self.db.max_user(), *known]) + 1

    # -- test controls ---------------------------------------------------------------

    @property
    def requests(self) -> dict[str, int]:
        """Storage requests handled, keyed by ``"METHOD /path"``."""
        return self.storage.requests

    def request_count(self, *, method: str | None = None, contains: str = "") -> int:
        return sum(
            count
            for key, count in self.storage.requests.items()
            if (method is None or key.startswith(method + " ")) and contains in key
        )

    def configure(self, **limits: int) -> Limits:
        """Change info/configuration (e.g. tiny limits for one test)."""
        known = {f.name for f in fields(Limits)}
        for name, value in limits.items():
            if name not in known or not isinstance(value, int) or value <= 0:
                raise ValueError(f"unknown or invalid limit {name}")
            setattr(self.limits, name, value)
        return self.limits

    def expire_tokens(self) -> int:
        return self.tokens.expire_all()

    def reassign_node(self, fxa_uid: str) -> int:
        """Move the user to a new, empty storage node; returns the new storage uid."""
        return self.tokens.reassign(fxa_uid)

    def storage_uid(self, fxa_uid: str) -> int:
        return self.tokens.users[fxa_uid].storage_uid

    def corrupt_hmac(self, storage_uid: int, collection: str, bso_id: str) -> None:
        """Flip one hex digit of a stored record's HMAC (its timestamp stays)."""
        bso = self.db.get_bso(storage_uid, collection, bso_id)
        if bso is None:
            raise KeyError(bso_id)
        envelope = json.loads(bso.payload)
        mac = envelope["hmac"]
        envelope["hmac"] = ("1" if mac[0] == "0" else "0") + mac[1:]
        self.db.set_payload(storage_uid, collection, bso_id, json.dumps(envelope))

    def write_records(
        self, storage_uid: int, collection: str, records: Iterable[dict[str, Any]]
    ) -> str:
        """Write BSOs as another client would; returns the new timestamp text."""
        writes = [parse_write(record, self.limits) for record in records]
        return format_ts(self.db.write(storage_uid, collection, writes))

    def before_next(
        self,
        hook: Callable[[], Awaitable[None]],
        *,
        method: str | None = None,
        path_contains: str = "",
    ) -> None:
        """Run ``hook`` just before the next matching storage request is handled."""
        self.storage.hooks.append(PendingHook(hook, method, path_contains))

    def set_hawk_skew(self, seconds: int) -> None:
        self.storage.hawk_skew_seconds = seconds

    # -- HTTP test controls ----------------------------------------------------------

    async def _control(self, request: web.Request) -> web.Response:
        action = request.match_info["action"]
        body: dict[str, Any] = {}
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                return web.json_response({"error": "body is not JSON"}, status=400)
        try:
            result = await self._run_control(action, body)
        except (KeyError, ValueError, TypeError) as error:
            return web.json_response({"error": f"{action}: {error}"}, status=400)
        return web.json_response(result)

    async def _run_control(self, action: str, body: dict[str, Any]) -> Any:
        if action == "requests":
            return dict(self.storage.requests)
        if action == "configuration":
            return self.configure(**body).to_json()
        if action == "expire-tokens":
            return {"expired": self.expire_tokens()}
        if action == "reassign":
            return {"uid": self.reassign_node(str(body["fxa_uid"]))}
        if action == "corrupt":
            self.corrupt_hmac(int(body["uid"]), str(body["collection"]), str(body["id"]))
            return {}
        if action == "foreign-write":
            uid, collection, records = int(body["uid"]), str(body["collection"]), body["records"]

            async def write() -> None:
                self.write_records(uid, collection, records)

            self.before_next(
                write, method=body.get("method"), path_contains=body.get("path_contains", "")
            )
            return {}
        if action == "fault":
            self.faults.add(
                Fault(
                    path_prefix=str(body["path_prefix"]),
                    method=body.get("method"),
                    times=int(body.get("times", 1)),
                    status=body.get("status"),
                    body=body.get("body"),
                    headers={str(k): str(v) for k, v in body.get("headers", {}).items()},
                    drop=bool(body.get("drop", False)),
                )
            )
            return {}
        raise KeyError("unknown control")


def setup_sync(
    app: web.Application,
    *,
    db_path: Path | None,
    verify_token: TokenVerifier,
    faults: Faults | None = None,
) -> SyncServer:
    server = SyncServer(db_path=db_path, verify_token=verify_token, faults=faults)
    app.router.add_get("/token/1.0/sync/1.5", server.tokens.handle)
    app.router.add_route("*", "/storage/1.5/{uid}{tail:(/.*)?}", server.storage.handle)
    app.router.add_route("*", "/storage/{tail:.*}", _unknown_url)
    app.router.add_route("*", "/__stack__/sync/{action}", server._control)
    app.on_cleanup.append(lambda _app: _close(server))
    return server


async def _close(server: SyncServer) -> None:
    server.db.close()


async def _unknown_url(request: web.Request) -> web.Response:
    return web.Response(status=404, text="0", content_type="application/json")
