"""meta/global: the account-wide storage version, sync ids and engine list (pure logic).

The record is cleartext JSON. We rewrite it only to add an engine that is missing,
and then keep every other field as it was, so Firefox's engines and settings survive.
"""

from __future__ import annotations

import base64
import copy
import json
import os
from dataclasses import dataclass, field
from typing import Any

from daemon.sync.errors import (
    EngineDeclinedError,
    SyncProtocolError,
    UpgradeRequiredError,
)

STORAGE_VERSION = 5
# The engines a new meta/global lists: the ones foxbridge itself syncs.
DEFAULT_ENGINES = {"bookmarks": 2, "clients": 1}


def new_sync_id() -> str:
    """A 12-character base64url id, as Firefox makes them."""
    return base64.urlsafe_b64encode(os.urandom(9)).decode("ascii")


@dataclass(frozen=True)
class EngineIds:
    """The (global, engine) sync id pair that names one generation of an engine's data."""

    global_sync_id: str
    engine_sync_id: str
    keys_fingerprint: str = ""  # changes when crypto/keys changes


@dataclass
class MetaGlobal:
    sync_id: str
    storage_version: int
    engines: dict[str, dict[str, Any]]
    declined: list[str]
    extra: dict[str, Any] = field(default_factory=dict)  # fields we do not interpret

    @classmethod
    def new(cls, *, declined: list[str] | None = None) -> MetaGlobal:
        engines = {
            name: {"version": version, "syncID": new_sync_id()}
            for name, version in DEFAULT_ENGINES.items()
            if name not in (declined or [])
        }
        return cls(new_sync_id(), STORAGE_VERSION, engines, list(declined or []))

    @classmethod
    def from_payload(cls, payload: str) -> MetaGlobal:
        try:
            data = json.loads(payload)
        except (TypeError, ValueError, RecursionError):
            raise SyncProtocolError("meta/global on the server is not valid JSON.") from None
        if not isinstance(data, dict):
            raise SyncProtocolError("meta/global on the server is not a JSON object.")
        sync_id = data.get("syncID")
        version = data.get("storageVersion")
        engines = data.get("engines", {})
        declined = data.get("declined", [])
        if not isinstance(sync_id, str) or not sync_id:
            raise SyncProtocolError("meta/global on the server has no syncID.")
        if not isinstance(version, int) or isinstance(version, bool):
            raise SyncProtocolError("meta/global on the server has no storage version.")
        if not isinstance(engines, dict) or not all(
            isinstance(value, dict) for value in engines.values()
        ):
            raise SyncProtocolError("meta/global on the server has a malformed engine list.")
        if not isinstance(declined, list):
            declined = []
        extra = {
            k: v
            for k, v in data.items()
            if k not in ("syncID", "storageVersion", "engines", "declined")
        }
        return cls(sync_id, version, copy.deepcopy(engines), list(declined), extra)

    def to_payload(self) -> str:
        data = dict(self.extra)
        data.update(
            {
                "syncID": self.sync_id,
                "storageVersion": self.storage_version,
                "engines": self.engines,
                "declined": self.declined,
            }
        )
        return json.dumps(data, separators=(",", ":"))

    def check_storage_version(self) -> None:
        if self.storage_version > STORAGE_VERSION:
            raise UpgradeRequiredError(
                "This Firefox Account's Sync data uses a newer format than this foxbridge "
                "understands. Please upgrade foxbridge."
            )
        if self.storage_version < STORAGE_VERSION:
            raise UpgradeRequiredError(
                "This Firefox Account's Sync data uses an obsolete format. Sign in to Sync "
                "in a current Firefox once to upgrade it, then sync again."
            )

    def engine_sync_id(self, engine: str, version: int) -> str | None:
        """The engine's sync id, or None when meta/global does not list it yet."""
        if engine in self.declined:
            raise EngineDeclinedError(
                f"Sync of {engine} is turned off for this Firefox Account. "
                "Turn it on in Firefox's Sync settings."
            )
        entry = self.engines.get(engine)
        if entry is None:
            return None
        their_version = entry.get("version")
        sync_id = entry.get("syncID")
        if not isinstance(sync_id, str) or not sync_id or not isinstance(their_version, int):
            return None  # a broken entry is replaced like a missing one
        if their_version > version:
            raise UpgradeRequiredError(
                f"The account's {engine} data uses a newer format (version {their_version}). "
                "Please upgrade foxbridge."
            )
        return sync_id

    def with_engine(self, engine: str, version: int) -> MetaGlobal:
        """A copy that also lists ``engine`` with a fresh sync id."""
        engines = copy.deepcopy(self.engines)
        engines[engine] = {"version": version, "syncID": new_sync_id()}
        return MetaGlobal(
            self.sync_id, self.storage_version, engines, list(self.declined), dict(self.extra)
        )
