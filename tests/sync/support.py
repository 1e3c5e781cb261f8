"""Test support: talk to the stack's storage with hand-made, Hawk-signed requests.

The protocol tests use this instead of the client library, so they can send exactly
the headers and bodies a rule is about (a bad MAC, a stale timestamp, an oversized
POST) and see the server's raw answer.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from daemon.sync.hawk import storage_authorization


@dataclass
class RawResponse:
    status: int
    headers: Any
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


async def fetch_token(http: aiohttp.ClientSession, stack: Any, account: Any) -> dict[str, Any]:
    access = stack.fxa.issue_access_token(account.uid)
    async with http.get(
        f"{stack.url}/token/1.0/sync/1.5",
        headers={"Authorization": f"Bearer {access}", "X-KeyID": account.kid},
    ) as response:
        assert response.status == 200, await response.text()
        return await response.json()


class RawStorage:
    def __init__(self, http: aiohttp.ClientSession, token: dict[str, Any]) -> None:
        self.http = http
        self.token = token

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        data: bytes | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        ts: int | None = None,
        key: str | None = None,
    ) -> RawResponse:
        url = self.token["api_endpoint"] + path
        if body is not None:
            data = json.dumps(body).encode()
        all_headers = dict(headers or {})
        if data is not None:
            all_headers["Content-Type"] = content_type
        all_headers["Authorization"] = storage_authorization(
            self.token["id"],
            key or self.token["key"],
            method,
            url,
            timestamp=ts if ts is not None else int(time.time()),
            body=data,
            content_type=content_type,
        )
        async with self.http.request(
            method, URL(url, encoded=True), data=data, headers=all_headers
        ) as response:
            return RawResponse(response.status, response.headers, await response.text())

    async def get(self, path: str, **kwargs: Any) -> RawResponse:
        return await self.request("GET", path, **kwargs)

    async def put(self, path: str, body: Any, **kwargs: Any) -> RawResponse:
        return await self.request("PUT", path, body=body, **kwargs)

    async def post(self, path: str, body: Any, **kwargs: Any) -> RawResponse:
        return await self.request("POST", path, body=body, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> RawResponse:
        return await self.request("DELETE", path, **kwargs)
