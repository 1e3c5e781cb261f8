"""A Chromium profile as foxbridge syncs it: a ``chrome.bookmarks.getTree()`` file.

The profile is synced by the real command, ``foxbridge sync --tree-file``, in a
subprocess with its own ``FOXBRIDGE_HOME`` and a keyring file of its own, signed in to
the local stack with ``foxbridge login``. Edits go through the file endpoint's
operations, which give them Chrome's meaning (ids, indices), as the extension would.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from daemon.bookmarks.endpoints import FileEndpoint

ROOT = Path(__file__).resolve().parents[2]


class ChromeProfile:
    def __init__(self, folder: Path, server_url: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.server_url = server_url
        self.endpoint = FileEndpoint(folder / "bookmarks.json")
        self._env = dict(os.environ)
        self._env["FOXBRIDGE_HOME"] = str(folder / "home")
        self._env["PYTHON_KEYRING_BACKEND"] = "tests.keyring.file_backend.SharedFileKeyring"
        self._env["FOXBRIDGE_TEST_KEYRING_FILE"] = str(folder / "keyring.json")

    def _foxbridge(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "daemon", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self._env,
            cwd=ROOT,
            timeout=60,
        )

    def login(self, email: str, password: str) -> None:
        done = self._foxbridge(
            "login",
            "--email",
            email,
            "--password-stdin",
            "--server",
            self.server_url,
            stdin=password + "\n",
        )
        assert done.returncode == 0, f"foxbridge login failed: {done.stderr}"

    def sync(self, *, force: bool = False) -> dict[str, Any]:
        """One ``foxbridge sync --tree-file``; returns its JSON report."""
        options = ["--force"] if force else []
        done = self._foxbridge("sync", "--tree-file", str(self.endpoint.path), "--json", *options)
        assert done.returncode == 0, f"foxbridge sync failed ({done.returncode}): {done.stderr}"
        return json.loads(done.stdout)

    # -- the tree ----------------------------------------------------------------------

    def tree(self) -> list[dict[str, Any]]:
        return asyncio.run(self.endpoint.read_tree())

    def write(self, tree_json: list[dict[str, Any]]) -> None:
        self.endpoint.write(tree_json)

    def find(self, title: str) -> str:
        """The browser id of the one node with this title."""
        found = [node["id"] for node in _walk(self.tree()[0]) if node.get("title") == title]
        assert len(found) == 1, f"{len(found)} nodes are titled {title!r}"
        return found[0]

    def root(self, folder_type: str) -> str:
        """The browser id of a permanent folder: "bookmarks-bar", "other" or "mobile"."""
        for node in self.tree()[0]["children"]:
            if node.get("folderType") == folder_type:
                return node["id"]
        raise LookupError(folder_type)

    def children(self, folder_id: str) -> list[str]:
        """Titles of a folder's children, in order."""
        for node in _walk(self.tree()[0]):
            if node["id"] == folder_id:
                return [child["title"] for child in node.get("children", [])]
        raise LookupError(folder_id)

    def apply(self, *ops: dict[str, Any]) -> dict[str, str]:
        """Change bookmarks as the user would in Chrome (operations as in docs/ipc.md)."""
        return asyncio.run(self.endpoint.apply(list(ops)))

    def create(self, parent: str, title: str, url: str | None = None, index: int = -1) -> str:
        op: dict[str, Any] = {"op": "create", "ref": "new", "parent": parent, "title": title}
        if url is not None:
            op["url"] = url
        if index >= 0:
            op["index"] = index
        return self.apply(op)["new"]

    def rename(self, node_id: str, title: str) -> None:
        self.apply({"op": "update", "id": node_id, "title": title})

    def move(self, node_id: str, parent: str, index: int) -> None:
        self.apply({"op": "move", "id": node_id, "parent": parent, "index": index})

    def remove(self, node_id: str) -> None:
        self.apply({"op": "remove", "id": node_id})


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [node]
    for child in node.get("children", []):
        found.extend(_walk(child))
    return found
