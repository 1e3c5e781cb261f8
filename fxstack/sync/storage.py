"""Sync 1.5 storage over HTTP: Hawk-verified, limit-enforcing, with real error shapes.

One handler takes every request under ``/storage/1.5/<uid>``: it verifies Hawk and the
token, then dispatches on the rest of the path. Errors are ``WeaveError``s, answered
the way the production server answers: a bare integer weave code as the JSON body.
Every response carries ``X-Weave-Timestamp``; successful ones ``X-Last-Modified``.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from fxstack.sync.bso import (
    COLLECTION,
    ZERO_IV,
    InvalidBso,
    Limits,
    parse_nonnegative_int,
    parse_ts_header,
    parse_write,
)
from fxstack.sync.db import Query, StorageDB, Write, format_ts, now_cs
from fxstack.sync.hawk import HawkError, verify
from fxstack.sync.tokenserver import IssuedToken, TokenServer

# Weave error codes (bare integers in 400 bodies).
ILLEGAL_METHOD = 1
JSON_PARSE_FAILURE = 6
INVALID_WBO = 8
INVALID_COLLECTION = 13
SIZE_LIMIT_EXCEEDED = 17
MAX_IDS = 100
NEWLINES = "application/newlines"

Hook = Callable[[], Awaitable[None]]


class WeaveError(Exception):
    def __init__(self, status: int, code: int | None = None, *, last_modified: int | None = None):
        super().__init__(status)
        self.status = status
        self.code = code
        self.last_modified = last_modified


@dataclass
class PendingHook:
    hook: Hook
    method: str | None
    path_contains: str

    def matches(self, request: web.Request) -> bool:
        return (self.method is None or request.method == self.method) and (
            self.path_contains in request.path_qs
        )


class StorageService:
    def __init__(self, db: StorageDB, tokens: TokenServer, limits: Limits) -> None:
        self.db = db
        self.tokens = tokens
        self.limits = limits
        self.hawk_skew_seconds = 60
        self.requests: Counter[str] = Counter()
        self.hooks: list[PendingHook] = []

    # -- entry point -----------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests[f"{request.method} {request.path}"] += 1
        for pending in list(self.hooks):
            if pending.matches(request):
                self.hooks.remove(pending)
                await pending.hook()
        body = await request.read()
        try:
            user = self._authenticate(request, body)
            response = self._dispatch(request, user, request.match_info["tail"], body)
        except WeaveError as error:
            response = self._error_response(error)
        stamp = response.headers.get("X-Weave-Timestamp")
        if stamp is None:
            user_uid = _int_or_none(request.match_info.get("uid", ""))
            floor = self.db.user_modified(user_uid) if user_uid is not None else 0
            response.headers["X-Weave-Timestamp"] = format_ts(max(now_cs(), floor))
        return response

    @staticmethod
    def _error_response(error: WeaveError) -> web.Response:
        headers = {}
        if error.last_modified is not None:
            headers["X-Last-Modified"] = format_ts(error.last_modified)
        if error.status == 304:
            return web.Response(status=304, headers=headers)
        body = "0" if error.code is None else str(error.code)
        if error.status == 401:
            body = json.dumps({"status": "invalid-credentials", "errors": []})
        return web.Response(
            status=error.status, text=body, content_type="application/json", headers=headers
        )

    # -- Hawk ------------------------------------------------------------------------

    def _authenticate(self, request: web.Request, body: bytes) -> int:
        uid = _int_or_none(request.match_info["uid"])

        def lookup(token_id: str) -> tuple[str, IssuedToken] | None:
            token = self.tokens.lookup(token_id)
            return None if token is None else (token.key, token)

        url = request.url
        try:
            token = verify(
                request.headers.get("Authorization", ""),
                method=request.method,
                path_and_query=request.raw_path,
                host=url.host or "",
                port=url.port or (443 if url.scheme == "https" else 80),
                body=body,
                content_type=request.headers.get("Content-Type", ""),
                lookup=lookup,
                now=time.time(),
                skew=self.hawk_skew_seconds,
            )
        except HawkError:
            raise WeaveError(401) from None
        if token.storage_uid != uid or not self.tokens.is_current(token):
            raise WeaveError(401)
        # An expired token may still poll info/collections, as in production.
        polling = request.method == "GET" and request.match_info["tail"] == "/info/collections"
        if token.expires <= time.time() and not polling:
            raise WeaveError(401)
        return token.storage_uid

    # -- routing ---------------------------------------------------------------------

    def _dispatch(
        self, request: web.Request, user: int, tail: str, body: bytes
    ) -> web.StreamResponse:
        method = request.method
        if tail in ("", "/", "/storage", "/storage/"):
            if method != "DELETE":
                raise WeaveError(404 if method == "GET" else 405)
            self._check_preconditions(request, self.db.user_modified(user))
            ts = self.db.delete_user(user)
            return self._json({"modified": _float(ts)}, last_modified=ts, timestamp=ts)
        if tail.startswith("/info/"):
            if method != "GET":
                raise WeaveError(405)
            return self._info(request, user, tail[len("/info/") :])
        match = re.fullmatch(r"/storage/([^/]+)(?:/([^/]+))?", tail)
        if match is None:
            raise WeaveError(404)
        collection, bso_id = match.group(1), match.group(2)
        if not COLLECTION.fullmatch(collection):
            raise WeaveError(400, INVALID_COLLECTION)
        if bso_id is None:
            handlers = {
                "GET": self._get_collection,
                "POST": self._post_collection,
                "DELETE": self._delete_collection,
            }
            handler = handlers.get(method)
            if handler is None:
                raise WeaveError(405)
            return handler(request, user, collection, body)
        item_handlers = {"GET": self._get_bso, "PUT": self._put_bso, "DELETE": self._delete_bso}
        item_handler = item_handlers.get(method)
        if item_handler is None:
            raise WeaveError(405)
        return item_handler(request, user, collection, bso_id, body)

    # -- helpers ---------------------------------------------------------------------

    def _json(
        self,
        body: Any,
        *,
        status: int = 200,
        last_modified: int | None = None,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        all_headers = dict(headers or {})
        if last_modified is not None:
            all_headers["X-Last-Modified"] = format_ts(last_modified)
        if timestamp is not None:
            all_headers["X-Weave-Timestamp"] = format_ts(timestamp)
        return web.Response(
            status=status,
            text=json.dumps(body, separators=(",", ":")),
            content_type="application/json",
            headers=all_headers,
        )

    @staticmethod
    def _check_preconditions(request: web.Request, resource_modified: int) -> None:
        try:
            since = parse_ts_header(request.headers.get("X-If-Modified-Since"))
            unmodified = parse_ts_header(request.headers.get("X-If-Unmodified-Since"))
        except ValueError:
            raise WeaveError(400, ILLEGAL_METHOD) from None
        if since is not None and unmodified is not None:
            raise WeaveError(400, ILLEGAL_METHOD)
        if since is not None and request.method == "GET" and resource_modified <= since:
            raise WeaveError(304, last_modified=resource_modified)
        if unmodified is not None and resource_modified > unmodified:
            raise WeaveError(412, last_modified=resource_modified)

    # -- info ------------------------------------------------------------------------

    def _info(self, request: web.Request, user: int, name: str) -> web.Response:
        if name == "configuration":
            return self._json(self.limits.to_json(), last_modified=0)
        modified = self.db.user_modified(user)
        self._check_preconditions(request, modified)
        if name == "collections":
            body: Any = {c: _float(ts) for c, ts in self.db.info_collections(user).items()}
        elif name == "collection_counts":
            body = self.db.collection_counts(user)
        elif name == "quota":
            body = [self.db.usage_bytes(user) / 1024, None]
        elif name == "collection_usage":
            body = {c: 0 for c in self.db.info_collections(user)}
        else:
            raise WeaveError(404)
        return self._json(body, last_modified=modified)

    # -- collections -----------------------------------------------------------------

    def _get_collection(
        self, request: web.Request, user: int, collection: str, body: bytes
    ) -> web.Response:
        modified = self.db.collection_modified(user, collection)
        accept = request.headers.get("Accept", "application/json")
        newlines = NEWLINES in accept
        if not newlines and not _accepts_json(accept):
            raise WeaveError(406)
        self._check_preconditions(request, modified)
        query = _parse_query(request.query)
        full = "full" in request.query
        rows, more = self.db.query(user, collection, query)
        items: list[Any] = [row.to_json() if full else row.id for row in rows]
        headers = {"X-Weave-Records": str(len(items))}
        if more:
            headers["X-Weave-Next-Offset"] = str(query.offset + len(items))
        if newlines:
            headers["X-Last-Modified"] = format_ts(modified)
            text = "".join(json.dumps(item, separators=(",", ":")) + "\n" for item in items)
            return web.Response(text=text, content_type=NEWLINES, headers=headers)
        return self._json(items, last_modified=modified, headers=headers)

    def _post_collection(
        self, request: web.Request, user: int, collection: str, body: bytes
    ) -> web.Response:
        limits = self.limits
        if len(body) > limits.max_request_bytes:
            raise WeaveError(413)
        batch_param = request.query.get("batch")
        commit = request.query.get("commit", "").lower() == "true"
        if "commit" in request.query and batch_param is None:
            raise WeaveError(400, ILLEGAL_METHOD)
        _check_announced(request, "X-Weave-Records", limits.max_post_records)
        _check_announced(request, "X-Weave-Bytes", limits.max_post_bytes)
        modified = self.db.collection_modified(user, collection)
        self._check_preconditions(request, modified)

        batch: int | None = None
        totals = (0, 0)
        if batch_param is not None:
            _check_announced(request, "X-Weave-Total-Records", limits.max_total_records)
            _check_announced(request, "X-Weave-Total-Bytes", limits.max_total_bytes)
            if batch_param.lower() != "true":
                batch = _int_or_none(batch_param)
                found = None if batch is None else self.db.batch_totals(user, collection, batch)
                if found is None:
                    raise WeaveError(400, ILLEGAL_METHOD)
                totals = found

        writes, success, failed, payload_bytes = self._parse_post_body(request, collection, body)
        if (
            totals[0] + len(writes) > limits.max_total_records
            or totals[1] + payload_bytes > limits.max_total_bytes
        ):
            raise WeaveError(400, SIZE_LIMIT_EXCEEDED)

        if batch_param is None or (batch is None and commit):
            ts = self.db.write(user, collection, writes)
            result = {"modified": _float(ts), "success": success, "failed": failed}
            return self._json(result, last_modified=ts, timestamp=ts)
        if batch is None:
            batch = self.db.create_batch(user, collection)
        self.db.append_batch(batch, writes, payload_bytes)
        if not commit:
            result = {"batch": str(batch), "success": success, "failed": failed}
            return self._json(result, status=202, last_modified=modified)
        ts = self.db.commit_batch(user, collection, batch)
        result = {"modified": _float(ts), "success": success, "failed": failed}
        return self._json(result, last_modified=ts, timestamp=ts)

    def _parse_post_body(
        self, request: web.Request, collection: str, body: bytes
    ) -> tuple[list[Write], list[str], dict[str, str], int]:
        items = _parse_items(request, body)
        limits = self.limits
        writes: list[Write] = []
        success: list[str] = []
        failed: dict[str, str] = {}
        payload_bytes = 0
        for item in items:
            item_id = item.get("id") if isinstance(item, dict) else None
            key = item_id if isinstance(item_id, str) else ""
            try:
                write = parse_write(item, limits)
            except InvalidBso as error:
                failed[key] = str(error)
                continue
            size = len((write.payload or "").encode("utf-8"))
            if len(writes) >= limits.max_post_records:
                failed[write.id] = "retry bsos"
                continue
            if payload_bytes + size > limits.max_post_bytes:
                failed[write.id] = "retry bytes"
                continue
            if collection == "crypto" and write.payload and ZERO_IV.search(write.payload):
                raise WeaveError(400, INVALID_WBO)
            writes.append(write)
            success.append(write.id)
            payload_bytes += size
        return writes, success, failed, payload_bytes

    def _delete_collection(
        self, request: web.Request, user: int, collection: str, body: bytes
    ) -> web.Response:
        self._check_preconditions(request, self.db.collection_modified(user, collection))
        ids_param = request.query.get("ids")
        if ids_param is not None:
            ids = _split_ids(ids_param)
            ts, _ = self.db.delete_bsos(user, collection, ids)
        else:
            ts = self.db.delete_collection(user, collection)
        return self._json({"modified": _float(ts)}, last_modified=ts, timestamp=ts)

    # -- one BSO ---------------------------------------------------------------------

    def _get_bso(
        self, request: web.Request, user: int, collection: str, bso_id: str, body: bytes
    ) -> web.Response:
        bso = self.db.get_bso(user, collection, bso_id)
        if bso is None:
            raise WeaveError(404)
        self._check_preconditions(request, bso.modified)
        return self._json(bso.to_json(), last_modified=bso.modified)

    def _put_bso(
        self, request: web.Request, user: int, collection: str, bso_id: str, body: bytes
    ) -> web.Response:
        content_type = request.content_type
        if content_type not in ("application/json", "text/plain"):
            raise WeaveError(415)
        if len(body) > self.limits.max_request_bytes:
            raise WeaveError(413)
        existing = self.db.get_bso(user, collection, bso_id)
        self._check_preconditions(request, existing.modified if existing else 0)
        try:
            parsed = json.loads(body)
        except ValueError:
            raise WeaveError(400, JSON_PARSE_FAILURE) from None
        try:
            write = parse_write(parsed, self.limits, url_id=bso_id)
        except InvalidBso as error:
            if str(error) == "payload too large":
                raise WeaveError(413) from None
            raise WeaveError(400, INVALID_WBO) from None
        if collection == "crypto" and write.payload and ZERO_IV.search(write.payload):
            raise WeaveError(400, INVALID_WBO)
        ts = self.db.write(user, collection, [write])
        return self._json(_float(ts), last_modified=ts, timestamp=ts)

    def _delete_bso(
        self, request: web.Request, user: int, collection: str, bso_id: str, body: bytes
    ) -> web.Response:
        self._check_preconditions(request, self.db.collection_modified(user, collection))
        if self.db.get_bso(user, collection, bso_id) is None:
            raise WeaveError(404)
        ts, _ = self.db.delete_bsos(user, collection, [bso_id])
        return self._json({"modified": _float(ts)}, last_modified=ts, timestamp=ts)


# -- request parsing helpers -------------------------------------------------------------


def _float(ts: int) -> float:
    return float(format_ts(ts))


def _int_or_none(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _accepts_json(accept: str) -> bool:
    return any(
        kind in accept for kind in ("application/json", "*/*", "application/*", "text/plain")
    )


def _split_ids(text: str) -> list[str]:
    ids = [item for item in text.split(",") if item]
    if len(ids) > MAX_IDS:
        raise WeaveError(400, INVALID_WBO)
    return ids


def _parse_query(params: Any) -> Query:
    try:
        newer = parse_ts_header(params.get("newer"))
        older = parse_ts_header(params.get("older"))
        limit = parse_nonnegative_int(params.get("limit"))
        offset = parse_nonnegative_int(params.get("offset")) or 0
    except ValueError:
        raise WeaveError(400, INVALID_WBO) from None
    sort = params.get("sort")
    if sort not in (None, "oldest", "newest", "index"):
        raise WeaveError(400, INVALID_WBO)
    if limit == 0:
        limit = None
    ids = _split_ids(params["ids"]) if "ids" in params else None
    return Query(ids=ids, newer=newer, older=older, sort=sort, limit=limit, offset=offset)


def _check_announced(request: web.Request, header: str, limit: int) -> None:
    value = request.headers.get(header)
    if value is None:
        return
    if not value.isdigit():
        raise WeaveError(400, ILLEGAL_METHOD)
    if int(value) > limit:
        raise WeaveError(400, SIZE_LIMIT_EXCEEDED)


def _parse_items(request: web.Request, body: bytes) -> list[Any]:
    content_type = request.content_type
    try:
        if content_type == NEWLINES:
            return [json.loads(line) for line in body.decode("utf-8").splitlines() if line]
        if content_type not in ("application/json", "text/plain"):
            raise WeaveError(415)
        items = json.loads(body) if body.strip() else []
    except (ValueError, UnicodeDecodeError):
        raise WeaveError(400, JSON_PARSE_FAILURE) from None
    if not isinstance(items, list):
        raise WeaveError(400, INVALID_WBO)
    return items
