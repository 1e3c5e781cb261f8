"""A stand-in for the browser extension, speaking docs/ipc.md over the daemon's socket.

It holds a bookmark tree in the shape ``chrome.bookmarks.getTree()`` returns, answers
``tree.get`` and applies ``tree.apply`` operations with Chrome's semantics (new ids are the
next integers, indices shift as siblings are inserted and removed), and records the
``status`` notifications it receives. Tests use it to drive a real daemon process.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from pathlib import Path
from typing import Any

from daemon.service import protocol

ROOTS = [
    ("1", "Bookmarks bar", "bookmarks-bar"),
    ("2", "Other bookmarks", "other"),
    ("3", "Mobile bookmarks", "mobile"),
]


class ChromeTree:
    """Bookmarks as chrome.bookmarks keeps them."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {
            "0": {"id": "0", "title": "", "children": [], "dateAdded": 1}
        }
        for node_id, title, folder_type in ROOTS:
            self.nodes[node_id] = {
                "id": node_id,
                "parentId": "0",
                "title": title,
                "folderType": folder_type,
                "children": [],
                "dateAdded": 1,
            }
            self.nodes["0"]["children"].append(node_id)
        self._ids = itertools.count(4)

    def create(
        self, parent: str, title: str, url: str | None = None, index: int | None = None
    ) -> str:
        node_id = str(next(self._ids))
        node: dict[str, Any] = {"id": node_id, "parentId": parent, "title": title}
        node["dateAdded"] = 1_700_000_000_000
        if url is None:
            node["children"] = []
        else:
            node["url"] = url
        siblings = self.nodes[parent]["children"]
        siblings.insert(len(siblings) if index is None else min(index, len(siblings)), node_id)
        self.nodes[node_id] = node
        return node_id

    def update(self, node_id: str, title: str | None = None, url: str | None = None) -> None:
        if title is not None:
            self.nodes[node_id]["title"] = title
        if url is not None:
            self.nodes[node_id]["url"] = url

    def move(self, node_id: str, parent: str, index: int | None = None) -> None:
        node = self.nodes[node_id]
        old = self.nodes[node["parentId"]]["children"]
        position = old.index(node_id)
        old.remove(node_id)
        siblings = self.nodes[parent]["children"]
        if index is not None and parent == node["parentId"] and index > position:
            index -= 1  # Chrome's index counts the node's old place
        siblings.insert(len(siblings) if index is None else min(index, len(siblings)), node_id)
        node["parentId"] = parent

    def remove(self, node_id: str) -> None:
        node = self.nodes.pop(node_id)
        self.nodes[node["parentId"]]["children"].remove(node_id)
        for child in node.get("children", []):
            self._forget(child)

    def _forget(self, node_id: str) -> None:
        node = self.nodes.pop(node_id)
        for child in node.get("children", []):
            self._forget(child)

    def get_tree(self) -> list[dict[str, Any]]:
        return [self._export("0", 0)]

    def _export(self, node_id: str, index: int) -> dict[str, Any]:
        node = dict(self.nodes[node_id])
        if node_id != "0":
            node["index"] = index
        if "children" in node:
            node["children"] = [self._export(c, i) for i, c in enumerate(node["children"])]
        return node

    def find(self, title: str) -> dict[str, Any] | None:
        return next((n for n in self.nodes.values() if n.get("title") == title), None)

    def titles_in(self, folder_id: str) -> list[str]:
        return [self.nodes[c]["title"] for c in self.nodes[folder_id]["children"]]

    def apply(self, ops: list[dict[str, Any]]) -> dict[str, Any]:
        refs: dict[str, str] = {}
        failed = []
        for index, op in enumerate(ops):
            try:
                kind = op["op"]
                if kind == "create":
                    parent = refs.get(op["parent"], op["parent"])
                    refs[op["ref"]] = self.create(parent, op["title"], op.get("url"), op["index"])
                elif kind == "update":
                    self.update(op["id"], op.get("title"), op.get("url"))
                elif kind == "move":
                    self.move(op["id"], refs.get(op["parent"], op["parent"]), op.get("index"))
                elif kind == "remove":
                    self.remove(op["id"])
                else:
                    raise ValueError(f"unknown op {kind}")
            except (KeyError, ValueError) as error:
                failed.append({"index": index, "message": repr(error)})
        return {"ids": refs, "failed": failed}


class FakeExtension:
    def __init__(self, profile_id: str, tree: ChromeTree | None = None) -> None:
        self.profile_id = profile_id
        self.tree = tree or ChromeTree()
        self.statuses: list[dict[str, Any]] = []
        self.requests_seen: list[str] = []
        self.hello_answer: dict[str, Any] | None = None
        self._status_changed = asyncio.Event()
        self._asked = asyncio.Event()
        self.unanswered: set[str] = set()  # methods this extension never answers
        self._ids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.StreamReader
        self._writer: asyncio.StreamWriter
        self._task: asyncio.Task[None] | None = None

    async def connect(self, socket_path: Path, *, hello: bool = True) -> FakeExtension:
        self._reader, self._writer = await asyncio.open_unix_connection(str(socket_path))
        self._task = asyncio.get_running_loop().create_task(self._read_loop())
        await self.notify("host.hello", {"origin": "chrome-extension://test/", "host_version": "0"})
        if hello:
            profile = {"id": self.profile_id, "browser": "Chromium", "name": "Test"}
            self.hello_answer = await self.request("hello", {"profile": profile, "version": "0"})
        return self

    async def close(self) -> None:
        self._writer.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await self._task

    async def send(self, message: dict[str, Any]) -> None:
        self._writer.write(protocol.encode_frame(message))
        await self._writer.drain()

    async def notify(self, method: str, params: dict[str, Any]) -> None:
        await self.send({"method": method, "params": params})

    async def request(self, method: str, params: dict[str, Any], within: float = 30) -> Any:
        answer = await self.request_raw(method, params, within)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']['code']}: {answer['error']['message']}")
        return answer["result"]

    async def request_raw(
        self, method: str, params: dict[str, Any], within: float = 30
    ) -> dict[str, Any]:
        request_id = f"e{next(self._ids)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        await self.send({"id": request_id, "method": method, "params": params})
        return await asyncio.wait_for(future, within)

    async def changed(self, *events: tuple[str, str | None]) -> None:
        await self.notify(
            "bookmarks.changed",
            {
                "events": [
                    {"type": kind, "id": node, "at": 1_700_000_000_000} for kind, node in events
                ]
            },
        )

    async def wait_status(
        self, predicate: Any, *, after: int = 0, within: float = 30
    ) -> dict[str, Any]:
        """Wait (bounded) for a status notification, received at position ``after`` or
        later, that satisfies ``predicate``."""
        async with asyncio.timeout(within):
            while True:
                for status in self.statuses[after:]:
                    if predicate(status):
                        return status
                self._status_changed.clear()
                await self._status_changed.wait()

    async def wait_synced(self, *, after: int = 0, within: float = 30) -> dict[str, Any]:
        """Wait for a sync that started at position ``after`` or later to end."""
        started = await self.wait_status(lambda s: s["state"] == "syncing", after=after)
        position = self.statuses.index(started, after)
        return await self.wait_status(
            lambda s: s["state"] != "syncing", after=position + 1, within=within
        )

    async def wait_asked(self, method: str, *, within: float = 30) -> None:
        """Wait (bounded) until the daemon has sent ``method``."""
        async with asyncio.timeout(within):
            while method not in self.requests_seen:
                self._asked.clear()
                await self._asked.wait()

    async def _read_loop(self) -> None:
        while True:
            header = await self._reader.readexactly(4)
            payload = await self._reader.readexactly(int.from_bytes(header, "little"))
            message = json.loads(payload)
            if "method" in message and "id" in message:
                self.requests_seen.append(message["method"])
                self._asked.set()
                if message["method"] in self.unanswered:
                    continue
                await self.send({"id": message["id"], "result": self._answer(message)})
            elif "method" in message:
                if message["method"] == "status":
                    self.statuses.append(message["params"])
                    self._status_changed.set()
            elif message.get("id") in self._pending:
                self._pending.pop(message["id"]).set_result(message)

    def _answer(self, message: dict[str, Any]) -> Any:
        if message["method"] == "tree.get":
            return {"tree": self.tree.get_tree()}
        if message["method"] == "tree.apply":
            return self.tree.apply(message["params"]["ops"])
        return {}
