"""Helpers for the bookmark engine tests: browser trees, devices, the server's records."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from daemon.bookmarks.endpoints import FileEndpoint
from daemon.bookmarks.engine import SyncReport, sync_profile
from daemon.bookmarks.snapshots import Snapshots
from daemon.bookmarks.store import StateStore
from daemon.fxa.credentials import StaticCredentials, SyncKey
from daemon.settings import Settings
from daemon.sync.client import OutgoingRecord, SyncClient

# -- browser trees in getTree() shape ----------------------------------------------------


def bm(title: str, url: str) -> dict[str, Any]:
    return {"title": title, "url": url}


def folder(title: str, *children: dict[str, Any]) -> dict[str, Any]:
    return {"title": title, "children": list(children)}


def browser_tree(
    bar: list[dict[str, Any]] | None = None,
    other: list[dict[str, Any]] | None = None,
    mobile: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """A getTree() result with ids numbered as Chrome would (roots 0–3, then in order)."""
    ids = itertools.count(4)

    def node(spec: dict[str, Any], parent: str, index: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": str(next(ids)),
            "parentId": parent,
            "index": index,
            "title": spec["title"],
            "dateAdded": 1_700_000_000_000,
        }
        if "url" in spec:
            out["url"] = spec["url"]
        else:
            out["children"] = [node(c, out["id"], i) for i, c in enumerate(spec["children"])]
        return out

    roots = []
    for index, (node_id, title, kind, specs) in enumerate(
        [
            ("1", "Bookmarks bar", "bookmarks-bar", bar or []),
            ("2", "Other bookmarks", "other", other or []),
            ("3", "Mobile bookmarks", "mobile", mobile or []),
        ]
    ):
        root = {
            "id": node_id,
            "parentId": "0",
            "index": index,
            "title": title,
            "folderType": kind,
            "dateAdded": 1_700_000_000_000,
            "children": [],
        }
        root["children"] = [node(spec, node_id, i) for i, spec in enumerate(specs)]
        roots.append(root)
    return [{"id": "0", "title": "", "dateAdded": 0, "children": roots}]


def outline(tree_json: list[dict[str, Any]]) -> dict[str, Any]:
    """The user-visible content of a getTree() result: titles, URLs and order per root."""

    def shape(node: dict[str, Any]) -> Any:
        if "url" in node:
            return (node["title"], node["url"])
        return (node["title"], [shape(child) for child in node.get("children", [])])

    return {root["title"]: shape(root)[1] for root in tree_json[0]["children"]}


def count_nodes(tree_json: list[dict[str, Any]]) -> int:
    total = 0
    stack = list(tree_json[0]["children"])
    while stack:
        node = stack.pop()
        total += 1
        stack.extend(node.get("children", []))
    return total - 3


# -- devices and the server ----------------------------------------------------------------


@dataclass
class Device:
    """One browser profile (a tree file) with its own foxbridge state."""

    name: str
    folder: Path
    settings: Settings = field(default_factory=Settings)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.endpoint = FileEndpoint(self.folder / "bookmarks.json")
        self.store = StateStore.open_file(self.folder / "state.sqlite")
        self.snapshots = Snapshots(self.folder / "snapshots", keep=self.settings.snapshots_keep)

    def write(self, tree_json: list[dict[str, Any]]) -> None:
        self.endpoint.write(tree_json)

    def read(self) -> list[dict[str, Any]]:
        return json.loads(self.endpoint.path.read_text())

    def outline(self) -> dict[str, Any]:
        return outline(self.read())

    def close(self) -> None:
        self.store.close()


class Account:
    """An account on the local stack and fresh Sync sessions for it."""

    def __init__(self, stack: Any, http: aiohttp.ClientSession, email: str = "bm@example.com"):
        self.stack = stack
        self.http = http
        self.account = stack.fxa.create_account(email, "a long enough password")
        self.credentials = StaticCredentials(
            token_server_url=f"{stack.url}/token",
            sync_key=SyncKey(self.account.ksync, self.account.kid),
            token=stack.fxa.issue_access_token(self.account.uid),
        )

    async def client(self) -> SyncClient:
        return await SyncClient.connect(self.credentials, http=self.http)

    async def sync(self, device: Device, **options: Any) -> SyncReport:
        client = await self.client()
        return await sync_profile(
            device.endpoint,
            client,
            device.store,
            device.settings,
            snapshots=device.snapshots,
            **options,
        )

    async def records(self) -> dict[str, dict[str, Any]]:
        """Every record on the server, decrypted, by id."""
        client = await self.client()
        download = await client.download("bookmarks")
        return {record.id: record.cleartext for record in download.records}

    async def live(self) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in (await self.records()).items() if not v.get("deleted")}

    async def put(self, *cleartexts: dict[str, Any]) -> None:
        """Write records as another client would (Firefox, here)."""
        client = await self.client()
        await client.engine_ids("bookmarks", version=2)
        await client.upload(
            "bookmarks",
            [OutgoingRecord(c["id"], c) for c in cleartexts],
            if_unmodified_since=None,
        )


def server_outline(records: dict[str, dict[str, Any]], root: str) -> list[Any]:
    """The user-visible content under one root of the server's live records."""

    def shape(guid: str) -> Any:
        record = records[guid]
        if record["type"] == "folder":
            return (record.get("title", ""), [shape(c) for c in record.get("children", [])])
        if record["type"] == "separator":
            return ("---",)
        return (record.get("title", ""), record.get("bmkUri"))

    if root not in records:
        return []
    return [shape(child) for child in records[root].get("children", [])]


def check_server_consistent(records: dict[str, dict[str, Any]]) -> None:
    """Every live record has one parent whose children list it exactly once (spec §4.8)."""
    live = {k: v for k, v in records.items() if not v.get("deleted")}
    listed: dict[str, str] = {}
    for guid, record in live.items():
        for child in record.get("children", []):
            assert child in live, f"{guid} lists missing child {child}"
            assert child not in listed, f"{child} listed by {listed.get(child)} and {guid}"
            listed[child] = guid
    for guid, record in live.items():
        if guid in ("menu", "toolbar", "unfiled", "mobile"):
            assert record["parentid"] == "places"
            continue
        assert listed.get(guid) == record["parentid"], f"{guid} parent mismatch"
