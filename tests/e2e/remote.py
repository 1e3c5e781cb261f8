"""The server side of the end-to-end tests: read and write bookmark records as Firefox.

Records are decrypted and encrypted here with the account's kSync and the
``crypto/keys`` bundle, independently of the daemon's own Sync code, so that a test
checks what really sits on the server. Writes go straight into the stack's storage as
another client's upload would (a folder's ``children`` updated in the same write as the
item), on the stack's own event loop.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from fxstack.sync.db import Query
from fxstack.testing import StackThread

ROOT_TITLES = {
    "menu": "Bookmarks Menu",
    "toolbar": "Bookmarks Toolbar",
    "unfiled": "Other Bookmarks",
    "mobile": "Mobile Bookmarks",
}
GUID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


def new_guid() -> str:
    return "".join(secrets.choice(GUID_ALPHABET) for _ in range(12))


@dataclass(frozen=True, repr=False)
class KeyBundle:
    enc: bytes
    mac: bytes

    @classmethod
    def from_ksync(cls, ksync: bytes) -> KeyBundle:
        return cls(ksync[:32], ksync[32:])

    def decrypt(self, payload: str) -> dict[str, Any]:
        envelope = json.loads(payload)
        expected = hmac.new(self.mac, envelope["ciphertext"].encode(), hashlib.sha256).hexdigest()
        assert hmac.compare_digest(expected, envelope["hmac"].lower()), "HMAC mismatch"
        decryptor = Cipher(
            algorithms.AES(self.enc), modes.CBC(base64.b64decode(envelope["IV"]))
        ).decryptor()
        padded = decryptor.update(base64.b64decode(envelope["ciphertext"])) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return json.loads(unpadder.update(padded) + unpadder.finalize())

    def encrypt(self, cleartext: dict[str, Any]) -> str:
        iv = os.urandom(16)
        padder = padding.PKCS7(128).padder()
        padded = padder.update(json.dumps(cleartext).encode()) + padder.finalize()
        encryptor = Cipher(algorithms.AES(self.enc), modes.CBC(iv)).encryptor()
        ciphertext = base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()
        mac = hmac.new(self.mac, ciphertext.encode(), hashlib.sha256).hexdigest()
        return json.dumps(
            {"ciphertext": ciphertext, "IV": base64.b64encode(iv).decode(), "hmac": mac}
        )


class RemoteBookmarks:
    """One account's bookmarks collection on the local stack."""

    def __init__(self, stack: StackThread, email: str) -> None:
        self._stack = stack
        account = stack.stack.fxa.state.account_by_email(email)
        assert account is not None, email
        self._fxa_uid = account.uid
        self._root_bundle = KeyBundle.from_ksync(account.ksync)

    # -- setting up the account as a first Firefox would -------------------------------------

    def set_up(self) -> None:
        """Meet the tokenserver, and create meta/global, crypto/keys and the roots if the
        account has none (what the first Firefox to sync does)."""
        if self.storage_uid is None:
            self._ask_tokenserver()
        if self._bundle() is not None:
            return
        uid = self.storage_uid
        assert uid is not None
        bundle_keys = [base64.b64encode(os.urandom(32)).decode() for _ in range(2)]
        keys = {"id": "keys", "collection": "crypto", "default": bundle_keys, "collections": {}}
        meta = {
            "syncID": new_guid(),
            "storageVersion": 5,
            "engines": {
                "bookmarks": {"version": 2, "syncID": new_guid()},
                "clients": {"version": 1, "syncID": new_guid()},
            },
            "declined": [],
        }

        async def write() -> None:
            sync = self._stack.stack.sync
            sync.write_records(uid, "meta", [{"id": "global", "payload": json.dumps(meta)}])
            sync.write_records(
                uid, "crypto", [{"id": "keys", "payload": self._root_bundle.encrypt(keys)}]
            )

        self._stack.call(write())
        roots = [
            {
                "id": "places",
                "type": "folder",
                "parentid": "places",
                "title": "",
                "children": list(ROOT_TITLES),
            },
            *(
                {
                    "id": root,
                    "type": "folder",
                    "parentid": "places",
                    "parentName": "",
                    "title": title,
                    "children": [],
                }
                for root, title in ROOT_TITLES.items()
            ),
        ]
        self._write(roots)

    def _ask_tokenserver(self) -> None:
        fxa = self._stack.stack.fxa
        account = fxa.state.accounts[self._fxa_uid]
        request = urllib.request.Request(
            f"{self._stack.url}/token/1.0/sync/1.5",
            headers={
                "Authorization": f"Bearer {fxa.issue_access_token(self._fxa_uid)}",
                "X-KeyID": account.kid,
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    # -- server state ---------------------------------------------------------------------

    @property
    def storage_uid(self) -> int | None:
        """None until some client has asked the tokenserver for this account."""
        users = self._stack.stack.sync.tokens.users
        return users[self._fxa_uid].storage_uid if self._fxa_uid in users else None

    def modified(self) -> int:
        """The bookmarks collection's last change, in the server's centiseconds (0: never)."""
        uid = self.storage_uid
        if uid is None:
            return 0

        async def read() -> int:
            return self._stack.stack.sync.db.collection_modified(uid, "bookmarks")

        return self._stack.call(read())

    def _bsos(self, collection: str, newer: int | None = None) -> list[Any]:
        uid = self.storage_uid
        if uid is None:
            return []

        async def query() -> list[Any]:
            bsos, _ = self._stack.stack.sync.db.query(uid, collection, Query(newer=newer))
            return bsos

        return self._stack.call(query())

    def _bundle(self) -> KeyBundle | None:
        keys = [bso for bso in self._bsos("crypto") if bso.id == "keys"]
        if not keys:
            return None
        cleartext = self._root_bundle.decrypt(keys[0].payload)
        enc, mac = cleartext.get("collections", {}).get("bookmarks") or cleartext["default"]
        return KeyBundle(base64.b64decode(enc), base64.b64decode(mac))

    def records(self, newer: int | None = None) -> dict[str, dict[str, Any]]:
        """Bookmark records, decrypted, by id (tombstones included); only those changed
        after ``newer`` (see ``modified``) when given."""
        bundle = self._bundle()
        if bundle is None:
            return {}
        return {bso.id: bundle.decrypt(bso.payload) for bso in self._bsos("bookmarks", newer)}

    def live(self) -> dict[str, dict[str, Any]]:
        return {rid: r for rid, r in self.records().items() if not r.get("deleted")}

    def _folders(self) -> dict[str, dict[str, Any]]:
        """Live records, plus the roots a Firefox would upload with its first child in them
        (a client that never had anything in a root may not have uploaded it)."""
        records = self.live()
        for root, title in ROOT_TITLES.items():
            records.setdefault(
                root,
                {
                    "id": root,
                    "type": "folder",
                    "parentid": "places",
                    "parentName": "",
                    "title": title,
                    "children": [],
                },
            )
        return records

    def find(self, **match: Any) -> list[dict[str, Any]]:
        return [r for r in self.live().values() if all(r.get(k) == v for k, v in match.items())]

    def children_titles(self, folder_id: str) -> list[str]:
        records = self.live()
        return [records[c].get("title", "") for c in records[folder_id].get("children", [])]

    # -- writing as Firefox does ------------------------------------------------------------

    def _write(self, records: Iterable[dict[str, Any]]) -> None:
        bundle = self._bundle()
        uid = self.storage_uid
        assert bundle is not None and uid is not None, "the daemon has not set up the account"
        bsos = [
            {
                "id": r["id"],
                "payload": bundle.encrypt(r),
                "sortindex": 1_000_000 if r.get("type") == "folder" else 0,
            }
            for r in records
        ]

        async def write() -> None:
            self._stack.stack.sync.write_records(uid, "bookmarks", bsos)

        self._stack.call(write())

    def insert(self, parent_id: str, index: int, *, title: str, url: str | None = None) -> str:
        """Add a bookmark (or a folder when ``url`` is None) at ``index`` in ``parent_id``."""
        records = self._folders()
        parent = dict(records[parent_id])
        guid = new_guid()
        item: dict[str, Any] = {
            "id": guid,
            "type": "bookmark" if url else "folder",
            "parentid": parent_id,
            "parentName": parent.get("title", ""),
            "title": title,
            "dateAdded": int(time.time() * 1000),
            "hasDupe": True,
        }
        if url:
            item["bmkUri"] = url
        else:
            item["children"] = []
        children = list(parent.get("children", []))
        children.insert(index, guid)
        parent["children"] = children
        self._write([item, parent])
        return guid

    def insert_tree(self, parent_id: str, folders: list[dict[str, Any]]) -> int:
        """Add folders of bookmarks (``{"title", "children": [{"title", "url"}]}``) at the
        end of ``parent_id`` in one write; the number of records written."""
        records = self._folders()
        parent = dict(records[parent_id])
        parent_children = list(parent.get("children", []))
        now = int(time.time() * 1000)
        written: list[dict[str, Any]] = []
        for folder in folders:
            folder_id = new_guid()
            parent_children.append(folder_id)
            children = [new_guid() for _ in folder["children"]]
            written.append(
                {
                    "id": folder_id,
                    "type": "folder",
                    "parentid": parent_id,
                    "parentName": parent.get("title", ""),
                    "title": folder["title"],
                    "children": children,
                    "dateAdded": now,
                    "hasDupe": True,
                }
            )
            written.extend(
                {
                    "id": guid,
                    "type": "bookmark",
                    "parentid": folder_id,
                    "parentName": folder["title"],
                    "title": child["title"],
                    "bmkUri": child["url"],
                    "dateAdded": now,
                    "hasDupe": True,
                }
                for guid, child in zip(children, folder["children"], strict=True)
            )
        parent["children"] = parent_children
        written.append(parent)
        self._write(written)
        return len(written)

    def insert_separator(self, parent_id: str, index: int) -> str:
        """Add a separator, which Chrome cannot show, at ``index`` in ``parent_id``."""
        records = self._folders()
        parent = dict(records[parent_id])
        guid = new_guid()
        separator = {
            "id": guid,
            "type": "separator",
            "parentid": parent_id,
            "parentName": parent.get("title", ""),
            "pos": index,
            "dateAdded": int(time.time() * 1000),
            "hasDupe": True,
        }
        children = list(parent.get("children", []))
        children.insert(index, guid)
        parent["children"] = children
        self._write([separator, parent])
        return guid

    def rename(self, guid: str, title: str) -> None:
        record = dict(self.live()[guid])
        record["title"] = title
        self._write([record])

    def move(self, guid: str, new_parent_id: str, index: int) -> None:
        records = self._folders()
        record = dict(records[guid])
        old_parent = dict(records[record["parentid"]])
        old_parent["children"] = [c for c in old_parent["children"] if c != guid]
        new_parent = (
            old_parent if new_parent_id == old_parent["id"] else dict(records[new_parent_id])
        )
        children = [c for c in new_parent.get("children", []) if c != guid]
        children.insert(index, guid)
        new_parent["children"] = children
        record["parentid"] = new_parent_id
        record["parentName"] = new_parent.get("title", "")
        changed = (
            [record, old_parent] if new_parent is old_parent else [record, old_parent, new_parent]
        )
        self._write(changed)

    def delete(self, guid: str) -> None:
        """Delete an item (a folder with all below it), leaving tombstones as Firefox does."""
        records = self.live()
        record = records[guid]
        doomed = [guid]
        for child in doomed:
            doomed.extend(records[child].get("children", []))
        parent = dict(records[record["parentid"]])
        parent["children"] = [c for c in parent["children"] if c != guid]
        self._write([parent, *({"id": d, "deleted": True} for d in doomed)])
