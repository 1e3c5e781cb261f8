"""The Hawk-signed Sync 1.5 storage client.

It does everything the protocol asks of a client and nothing bookmark-specific:
signs each request with the token's Hawk credentials (clock corrected by the
server's ``X-Weave-Timestamp``), gets a new token on 401 (and notices a node
reassignment), remembers backoff so no request goes out before the server allows,
pages through collections, and splits uploads into POSTs and batches within the
server's published limits.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import aiohttp
from yarl import URL

from daemon.errors import AuthError, NetworkError, ServerError
from daemon.fxa.credentials import SyncCredentials
from daemon.sync.errors import (
    MAX_SERVER_WAIT,
    BackoffError,
    NodeReassignedError,
    PreconditionFailedError,
    RecordRejectedError,
    RecordTooLargeError,
    ServerEndOfLifeError,
    SyncProtocolError,
    UpgradeRequiredError,
)
from daemon.sync.hawk import storage_authorization
from daemon.sync.records import ServerBso, format_timestamp, parse_bso, parse_timestamp
from daemon.sync.tokenserver import DEFAULT_RETRY_AFTER, StorageToken, TokenServerClient

log = logging.getLogger(__name__)

TOKEN_REFRESH_MARGIN = 60.0  # seconds before expiry at which a token is replaced
PAGE_SIZE = 1000
T = TypeVar("T")
MAX_PAGING_RESTARTS = 3


@dataclass(frozen=True)
class ServerLimits:
    """info/configuration; the defaults are the ones clients assume on a 404."""

    max_request_bytes: int = 1_048_576
    max_post_records: int = 100
    max_post_bytes: int = 1_048_576
    max_total_records: int = 10_000
    max_total_bytes: int = 104_857_600
    max_record_payload_bytes: int = 262_144

    @classmethod
    def from_json(cls, data: object) -> ServerLimits:
        if not isinstance(data, dict):
            raise SyncProtocolError("The Sync server sent an invalid info/configuration.")
        values: dict[str, int] = {}
        for spec in fields(cls):
            value = data.get(spec.name)
            if value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise SyncProtocolError(f"The Sync server sent an invalid {spec.name}.")
            values[spec.name] = value
        return cls(**values)


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):  # RecursionError: nested too deeply
            raise SyncProtocolError("The Sync server sent a response that is not JSON.") from None

    @property
    def last_modified(self) -> float | None:
        value = self.headers.get("X-Last-Modified")
        return parse_timestamp(value) if value is not None else None


class StorageClient:
    def __init__(
        self,
        credentials: SyncCredentials,
        http: aiohttp.ClientSession,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self._clock = clock
        self._tokens = TokenServerClient(credentials, http, clock=clock)
        self._token: StorageToken | None = None
        self._api_endpoint: str | None = None  # the node of the first token of this session
        self._offset = 0.0  # server clock minus ours
        self._not_before = 0.0  # no request before this local time (server backoff)
        self._storage_requests = 0
        self._end_of_life: str | None = None  # set once the server announced its shutdown

    @property
    def requests(self) -> int:
        return self._storage_requests + self._tokens.requests

    @property
    def api_endpoint(self) -> str | None:
        """The storage node of this session (persist it to notice a move across restarts)."""
        return self._api_endpoint

    @property
    def backoff_until(self) -> float:
        return self._not_before

    def remember_backoff(self, not_before: float) -> None:
        """Restore a backoff persisted across restarts."""
        self._not_before = max(self._not_before, not_before)

    # -- tokens ----------------------------------------------------------------------

    async def ensure_token(self) -> StorageToken:
        token = self._token
        if token is None or token.expires_at - TOKEN_REFRESH_MARGIN <= self._clock():
            token = await self._new_token()
        return token

    async def _new_token(self) -> StorageToken:
        self._check_backoff()
        try:
            fetched = await self._tokens.fetch()
        except BackoffError as error:
            self._not_before = max(self._not_before, self._clock() + error.retry_after)
            raise
        self._offset = fetched.server_offset
        if fetched.backoff:
            self._not_before = max(self._not_before, self._clock() + fetched.backoff)
        token = fetched.token
        previous = self._api_endpoint
        self._token = token
        self._api_endpoint = token.api_endpoint
        if previous is not None and previous != token.api_endpoint:
            log.warning("the account's Sync data moved to another storage node")
            raise NodeReassignedError()
        return token

    # -- one request -----------------------------------------------------------------

    def _check_end_of_life(self) -> None:
        if self._end_of_life is not None:
            raise ServerEndOfLifeError(
                "This Sync server has shut down service for this client." + self._end_of_life
            )

    def _check_backoff(self) -> None:
        self._check_end_of_life()
        wait = self._not_before - self._clock()
        if wait > 0:
            raise BackoffError(wait)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        raw_body: bytes | None = None,
        expect: Sequence[int] = (200,),
        expired_token_ok: bool = False,
    ) -> Response:
        """Send one signed request; statuses outside ``expect`` become errors.

        ``expired_token_ok``: storage servers answer info/collections even with an expired
        token, so the idle poll does not renew it (a 401 still renews and retries). That
        keeps an idle daemon at one request per poll, with no token traffic at all.
        """
        if body is not None:
            raw_body = json.dumps(body, separators=(",", ":")).encode("utf-8")
        if expired_token_ok and self._token is not None:
            token = self._token
        else:
            token = await self.ensure_token()
        response = await self._send(token, method, path, params, headers, raw_body)
        if response.status == 401:
            log.info("storage answered 401; getting a new token")
            self._token = None
            token = await self._new_token()
            response = await self._send(token, method, path, params, headers, raw_body)
            if response.status == 401:
                raise AuthError(
                    "The Sync server does not accept your sign-in. "
                    "Sign in again with 'foxbridge login'."
                )
        if response.status in expect:
            return response
        raise self._error(response)

    async def _send(
        self,
        token: StorageToken,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        data: bytes | None,
    ) -> Response:
        self._check_backoff()
        query = urlencode(params or {}, safe=",", quote_via=quote)
        url = token.api_endpoint + path + (f"?{query}" if query else "")
        all_headers = dict(headers or {})
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers["Authorization"] = storage_authorization(
            token.id,
            token.key,
            method,
            url,
            timestamp=int(self._clock() + self._offset),
            body=data,
        )
        self._storage_requests += 1
        try:
            async with self._http.request(
                method, URL(url, encoded=True), headers=all_headers, data=data
            ) as raw:
                content = await raw.read()
                response = Response(raw.status, raw.headers, content)
        except (TimeoutError, aiohttp.ClientError) as error:
            raise NetworkError(
                f"Lost the connection to the Sync server ({type(error).__name__})."
            ) from None
        self._observe(response)
        self._check_end_of_life()  # a hard end-of-life alert stops even a successful answer
        return response

    def _observe(self, response: Response) -> None:
        """Learn the server clock and any backoff it asks for, whatever the status."""
        now = self._clock()
        stamp = _number(response.headers.get("X-Weave-Timestamp"))
        if stamp is not None:
            self._offset = stamp - now
        backoff = _seconds(response.headers.get("X-Weave-Backoff"))
        if backoff is not None:
            log.info("server asks for %s s of backoff", backoff)
            self._not_before = max(self._not_before, now + backoff)
        if response.status in (409, 429, 503):
            retry = _seconds(response.headers.get("Retry-After"))
            self._not_before = max(
                self._not_before, now + (retry if retry is not None else DEFAULT_RETRY_AFTER)
            )
        alert = response.headers.get("X-Weave-Alert")
        if alert:
            code = _alert_code(alert)
            log.warning("the Sync server announces: %s", _alert_text(alert).strip()[:200])
            if code == "hard-eol" or response.status == 513:
                self._end_of_life = _alert_text(alert)
        elif response.status == 513:
            self._end_of_life = ""

    def _error(self, response: Response) -> Exception:
        status = response.status
        if status == 412:
            return PreconditionFailedError(response.last_modified)
        if status in (409, 429, 503):
            return BackoffError(self._not_before - self._clock())
        if status == 400 and _weave_code(response) == ", code 14":
            return ServerError("The account's Sync storage is full (over quota).")
        if status == 400 and _weave_code(response) == ", code 16":
            return UpgradeRequiredError("The Sync server requires a newer foxbridge.")
        log.warning("storage request failed with HTTP %s", status)
        return ServerError(f"The Sync server failed (HTTP {status}{_weave_code(response)}).")

    # -- the API ---------------------------------------------------------------------

    async def info_collections(
        self, *, if_modified_since: float | None = None
    ) -> tuple[dict[str, float], float] | None:
        """``({collection: modified}, last_modified)``, or None if nothing changed."""
        headers = {}
        if if_modified_since is not None:
            headers["X-If-Modified-Since"] = format_timestamp(if_modified_since)
        # A 304 only answers a conditional request; to any other it is a server fault.
        expect = (200, 304) if if_modified_since is not None else (200,)
        response = await self.request(
            "GET", "/info/collections", headers=headers, expect=expect, expired_token_ok=True
        )
        if response.status == 304:
            return None
        data = response.json()
        if not isinstance(data, dict):
            raise SyncProtocolError("The Sync server sent an invalid info/collections.")
        collections = {str(name): parse_timestamp(ts) for name, ts in data.items()}
        return collections, response.last_modified or max(collections.values(), default=0.0)

    async def info_configuration(self) -> ServerLimits:
        response = await self.request("GET", "/info/configuration", expect=(200, 404))
        if response.status == 404:
            return ServerLimits()
        return ServerLimits.from_json(response.json())

    async def get_record(self, collection: str, record_id: str) -> ServerBso | None:
        response = await self.request(
            "GET", f"/storage/{collection}/{quote(record_id, safe='')}", expect=(200, 404)
        )
        if response.status == 404:
            return None
        return parse_bso(response.json())

    async def put_record(
        self,
        collection: str,
        record: dict[str, Any],
        *,
        if_unmodified_since: float | None = None,
    ) -> float:
        headers = {}
        if if_unmodified_since is not None:
            headers["X-If-Unmodified-Since"] = format_timestamp(if_unmodified_since)
        response = await self.request(
            "PUT",
            f"/storage/{collection}/{quote(record['id'], safe='')}",
            headers=headers,
            body=record,
        )
        return parse_timestamp(response.headers.get("X-Last-Modified", response.json()))

    async def get_collection(
        self,
        collection: str,
        *,
        newer: float | None = None,
        page_size: int = PAGE_SIZE,
        decode: Callable[[ServerBso], T],
    ) -> tuple[list[T], float]:
        """Every record (full, oldest first) and the collection's last-modified time.

        Each record passes through ``decode`` as its page arrives, so a caller that
        decrypts there never holds the whole collection's ciphertext at once. Follow-up
        pages carry ``X-If-Unmodified-Since`` of the first page; when the collection
        changes mid-read the download starts over.
        """
        for _attempt in range(MAX_PAGING_RESTARTS):
            try:
                return await self._get_pages(collection, newer, page_size, decode)
            except PreconditionFailedError:
                log.info("%s changed while paging; starting over", collection)
        raise ServerError(f"The {collection} collection keeps changing; try again later.")

    async def _get_pages(
        self,
        collection: str,
        newer: float | None,
        page_size: int,
        decode: Callable[[ServerBso], T],
    ) -> tuple[list[T], float]:
        params = {"full": "1", "sort": "oldest", "limit": str(page_size)}
        if newer is not None:
            params["newer"] = format_timestamp(newer)
        records: list[T] = []
        headers: dict[str, str] = {}
        last_modified: float | None = None
        while True:
            response = await self.request(
                "GET", f"/storage/{collection}", params=params, headers=headers
            )
            page = response.json()
            if not isinstance(page, list):
                raise SyncProtocolError(f"The Sync server sent an invalid {collection} listing.")
            records.extend([decode(parse_bso(item)) for item in page])
            if last_modified is None:
                last_modified = response.last_modified or 0.0
                headers = {"X-If-Unmodified-Since": format_timestamp(last_modified)}
            next_offset = response.headers.get("X-Weave-Next-Offset")
            if not next_offset or not page:
                return records, last_modified
            params = {**params, "offset": next_offset}

    async def delete_collection(self, collection: str) -> None:
        await self.request("DELETE", f"/storage/{collection}", expect=(200, 204, 404))

    async def post_records(
        self,
        collection: str,
        records: Sequence[dict[str, Any]],
        *,
        if_unmodified_since: float | None,
        limits: ServerLimits,
    ) -> float | None:
        """Upload BSOs with the batch protocol; returns the collection's new last-modified.

        Records are split into POSTs within the per-request limits and into batches
        within the per-batch limits; a batch that cannot hold everything is committed
        and another one started, based on the first one's timestamp. Records the server
        refuses for a limit are sent again in the next POST; any other refusal stops the
        upload (a batch not yet committed is then never committed).
        """
        sized = [_Sized.of(record) for record in records]
        for item in sized:
            if item.payload_bytes > limits.max_record_payload_bytes:
                raise RecordTooLargeError(
                    item.id, item.payload_bytes, limits.max_record_payload_bytes
                )
        last_modified = if_unmodified_since
        start = 0
        while start < len(sized):
            end = _take(sized, start, limits.max_total_records, limits.max_total_bytes)
            last_modified = await self._upload_batch(
                collection, sized[start:end], last_modified, limits
            )
            start = end
        return last_modified

    async def _upload_batch(
        self,
        collection: str,
        records: list[_Sized],
        if_unmodified_since: float | None,
        limits: ServerLimits,
    ) -> float | None:
        """POSTs appended to one server batch, the last one committing it."""
        queue = records
        position = 0
        batch: str | None = None  # the server's batch id, once it gave one
        batching = True  # False once the server shows that it ignores batches
        last_modified = if_unmodified_since
        while position < len(queue):
            end = _take(
                queue,
                position,
                limits.max_post_records,
                limits.max_post_bytes,
                limits.max_request_bytes,
            )
            post, position = queue[position:end], end
            params = {}
            if batching:
                params["batch"] = batch or "true"
                if position >= len(queue):
                    params["commit"] = "true"
            headers = {}
            if last_modified is not None:
                headers["X-If-Unmodified-Since"] = format_timestamp(last_modified)
            response = await self.request(
                "POST",
                f"/storage/{collection}",
                params=params,
                headers=headers,
                raw_body=b"[" + b",".join(item.json for item in post) + b"]",
                expect=(200, 202),
            )
            result = response.json()
            failed = result.get("failed") if isinstance(result, dict) else None
            if not isinstance(result, dict) or not isinstance(failed or {}, dict):
                raise SyncProtocolError("The Sync server sent an invalid upload result.")
            failed = failed or {}
            refused = {k: str(v) for k, v in failed.items() if not str(v).startswith("retry")}
            if refused:
                raise RecordRejectedError(refused)
            retry = [item for item in post if item.id in failed]
            if retry:
                if len(retry) == len(post):
                    raise ServerError("The Sync server accepts none of the records sent to it.")
                queue, position = retry + queue[position:], 0
            if response.status == 202:
                if batch is None:
                    batch = result.get("batch")
                    if not isinstance(batch, str) or not batch:
                        raise SyncProtocolError("The Sync server sent an invalid batch id.")
                continue
            # 200: committed — the batch, or this POST alone on a server without batches.
            last_modified = parse_timestamp(result.get("modified", response.last_modified))
            if batching and "commit" not in params:
                batching = False
            batch = None  # records retried after a commit go into a new batch
        return last_modified


@dataclass(frozen=True)
class _Sized:
    """A BSO serialized once, with the sizes the limits count."""

    id: str
    json: bytes
    payload_bytes: int

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> _Sized:
        payload = record.get("payload", "")
        return cls(
            record["id"],
            json.dumps(record, separators=(",", ":")).encode("utf-8"),
            len(payload.encode("utf-8")),
        )


def _take(
    items: Sequence[_Sized],
    start: int,
    max_records: int,
    max_payload_bytes: int,
    max_request_bytes: int | None = None,
) -> int:
    """The end of the longest run from ``start`` within the limits (at least one item)."""
    payload_total = 0
    request_total = 2  # the JSON array's brackets
    end = start
    while end < len(items) and end - start < max_records:
        item = items[end]
        request = len(item.json) + 1  # and a comma
        over_payload = payload_total + item.payload_bytes > max_payload_bytes
        over_request = max_request_bytes is not None and (
            request_total + request > max_request_bytes
        )
        if end > start and (over_payload or over_request):
            break
        payload_total += item.payload_bytes
        request_total += request
        end += 1
    return end


def _number(value: str | None) -> float | None:
    """A header's finite, non-negative number, or None."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _seconds(value: str | None) -> float | None:
    """A header's wait in seconds, bounded by ``MAX_SERVER_WAIT``."""
    seconds = _number(value)
    return None if seconds is None else min(seconds, MAX_SERVER_WAIT)


def _weave_code(response: Response) -> str:
    text = response.body[:16].decode("ascii", "replace").strip()
    return f", code {text}" if text.isdigit() else ""


def _alert_code(alert: str) -> str | None:
    try:
        data = json.loads(alert)
    except (ValueError, RecursionError):
        return None
    code = data.get("code") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None


def _alert_text(alert: str | None) -> str:
    if not alert:
        return ""
    try:
        data = json.loads(alert)
        message = data.get("message") if isinstance(data, dict) else None
    except (ValueError, RecursionError):
        message = alert
    return f" {str(message)[:200]}" if message else ""
