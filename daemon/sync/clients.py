"""This device's record in the ``clients`` collection, and the commands sent to it.

Firefox lists Sync devices from this collection and sends them commands by appending
to their record. We read ours, act on the commands that concern bookmarks (a reset of
local sync state; ``wipeEngine`` is treated as a reset, since wiping the browser's
bookmarks on another device's say-so is not a risk worth taking), and write the record
back with no commands. The record lives 180 days and is refreshed weekly, so a device
that stops syncing disappears from other devices' lists.
"""

from __future__ import annotations

import base64
import logging
import os
import platform
import time
from dataclasses import dataclass
from typing import Any

from daemon import __version__
from daemon.sync.client import SyncClient
from daemon.sync.crypto import RecordCryptoError, decrypt_payload, encrypt_payload
from daemon.sync.errors import PreconditionFailedError
from daemon.sync.records import ServerBso

COLLECTION = "clients"
CLIENT_TTL = 180 * 24 * 3600  # seconds the record survives without a refresh
REFRESH_AFTER = 7 * 24 * 3600
# Commands that make the engine forget its sync state: {command: applies to all engines?}
_RESET_COMMANDS = {"resetEngine": False, "wipeEngine": False, "resetAll": True, "wipeAll": True}

log = logging.getLogger(__name__)


def new_client_id() -> str:
    """A 12-character base64url id, like Firefox's own client ids."""
    return base64.urlsafe_b64encode(os.urandom(9)).decode("ascii")


def os_name() -> str:
    return {"Darwin": "macOS"}.get(platform.system(), platform.system()) or "Unknown"


@dataclass(frozen=True)
class ThisDevice:
    client_id: str  # stable across runs: the caller stores it
    name: str  # e.g. "Chromium on laptop"
    fxa_device_id: str | None = None
    os: str = ""

    def cleartext(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": self.client_id,
            "name": self.name,
            "type": "desktop",
            "commands": [],
            "protocols": ["1.5"],
            "version": __version__,
            "os": self.os or os_name(),
            "application": "foxbridge",
            "appPackage": "foxbridge",
        }
        if self.fxa_device_id:
            record["fxaDeviceId"] = self.fxa_device_id
        return record


@dataclass(frozen=True)
class ClientsOutcome:
    reset_engines: frozenset[str]  # engines whose local sync state must be reset
    uploaded: bool  # whether our record was (re)written
    uploaded_at: float | None  # local time of the last upload, to store for the next run


async def sync_this_device(
    client: SyncClient,
    device: ThisDevice,
    *,
    engines: frozenset[str] = frozenset({"bookmarks"}),
    last_upload: float | None = None,
    now: float | None = None,
) -> ClientsOutcome:
    """Read our record, collect the resets it asks for, and rewrite it when needed."""
    now = time.time() if now is None else now
    keys = await client.collection_keys()
    bundle = keys.for_collection(COLLECTION)
    for _attempt in range(2):
        stored = await client.storage.get_record(COLLECTION, device.client_id)
        current = _decrypt(stored, bundle) if stored is not None else None
        commands = _commands(current)
        resets = _resets(commands, engines)
        stale = last_upload is None or now - last_upload >= REFRESH_AFTER
        if current is not None and not commands and not stale and _same(current, device):
            return ClientsOutcome(resets, False, last_upload)
        record = {
            "id": device.client_id,
            "payload": encrypt_payload(device.cleartext(), bundle),
            "ttl": CLIENT_TTL,
        }
        try:
            # Conditional on our record as we read it: a command appended meanwhile is
            # not lost; we read again and handle it.
            await client.storage.put_record(
                COLLECTION,
                record,
                if_unmodified_since=stored.modified if stored is not None else 0,
            )
        except PreconditionFailedError:
            log.info("our clients record changed while we wrote it; reading it again")
            continue
        return ClientsOutcome(resets, True, now)
    raise PreconditionFailedError()


def _decrypt(stored: ServerBso, bundle: Any) -> dict[str, Any] | None:
    try:
        return decrypt_payload(stored.payload, bundle)
    except RecordCryptoError as error:
        log.warning("our clients record is unreadable (%s); writing a new one", error.message)
        return None


def _commands(record: dict[str, Any] | None) -> list[dict[str, Any]]:
    commands = (record or {}).get("commands")
    if not isinstance(commands, list):
        return []
    return [c for c in commands if isinstance(c, dict) and isinstance(c.get("command"), str)]


def _resets(commands: list[dict[str, Any]], engines: frozenset[str]) -> frozenset[str]:
    resets: set[str] = set()
    for command in commands:
        name = command["command"]
        args = command.get("args") if isinstance(command.get("args"), list) else []
        if name not in _RESET_COMMANDS:
            log.info("ignoring the %r command sent to this device", name[:40])
            continue
        if _RESET_COMMANDS[name]:
            resets |= engines
        elif args and args[0] in engines:
            resets.add(args[0])
    return frozenset(resets)


def _same(current: dict[str, Any], device: ThisDevice) -> bool:
    wanted = device.cleartext()
    return all(current.get(key) == value for key, value in wanted.items())
