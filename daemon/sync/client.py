"""``SyncClient``: the Sync session the engines use.

It hides tokens, Hawk, paging, batching and encryption behind a few calls, and keeps
the account-wide records (info/configuration, meta/global, crypto/keys) for the
session, so that a sync with nothing to do costs one request once the token is
known. It creates meta/global and crypto/keys only where none exist (written with
``X-If-Unmodified-Since: 0``, so a client racing us wins and we adopt its records),
and never replaces ones that exist and decrypt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from daemon.fxa.credentials import SyncCredentials, SyncKey
from daemon.sync.crypto import (
    CollectionKeys,
    KeyBundle,
    RecordCryptoError,
    decrypt_payload,
    encrypt_payload,
)
from daemon.sync.errors import (
    CredentialsChangedError,
    InvalidRecordError,
    NodeReassignedError,
    PreconditionFailedError,
    SyncProtocolError,
)
from daemon.sync.meta import EngineIds, MetaGlobal
from daemon.sync.records import (
    Download,
    IncomingRecord,
    OutgoingRecord,
    ServerBso,
    SkippedRecord,
)
from daemon.sync.storage import PAGE_SIZE, ServerLimits, StorageClient

__all__ = [
    "Download",
    "EngineIds",
    "IncomingRecord",
    "OutgoingRecord",
    "SkippedRecord",
    "SyncClient",
]

log = logging.getLogger(__name__)


@dataclass
class _Cached:
    """A record of the account-wide set-up and the timestamp it was read at."""

    value: Any
    modified: float


class SyncClient:
    def __init__(self, storage: StorageClient, sync_key: SyncKey) -> None:
        self.storage = storage
        self._root = KeyBundle.from_ksync(sync_key.ksync)
        self.page_size = PAGE_SIZE
        self._limits: ServerLimits | None = None
        self._info: dict[str, float] | None = None
        self._meta: _Cached | None = None
        self._keys: _Cached | None = None

    @classmethod
    async def connect(
        cls,
        credentials: SyncCredentials,
        *,
        http: aiohttp.ClientSession,
        clock: Callable[[], float] = time.time,
    ) -> SyncClient:
        """A session with a storage token already fetched (so bad sign-ins fail here)."""
        storage = StorageClient(credentials, http, clock=clock)
        await storage.ensure_token()
        return cls(storage, credentials.sync_key)

    @property
    def requests(self) -> int:
        return self.storage.requests

    @contextmanager
    def _node_watch(self) -> Iterator[None]:
        """After a node reassignment nothing we cached describes the new node."""
        try:
            yield
        except NodeReassignedError:
            self.forget_cached_state()
            raise

    def forget_cached_state(self) -> None:
        self._limits = None
        self._info = None
        self._meta = None
        self._keys = None

    # -- polling ---------------------------------------------------------------------

    async def changed_since(self, ts: float | None) -> bool:
        """Whether anything in the account changed after ``ts`` (one cheap request)."""
        with self._node_watch():
            fetched = await self.storage.info_collections(if_modified_since=ts)
        if fetched is None:
            return False
        self._info = fetched[0]
        return True

    async def info_collections(self) -> dict[str, float]:
        with self._node_watch():
            fetched = await self.storage.info_collections()
        assert fetched is not None
        self._info = fetched[0]
        return dict(self._info)

    async def limits(self) -> ServerLimits:
        if self._limits is None:
            with self._node_watch():
                self._limits = await self.storage.info_configuration()
        return self._limits

    # -- meta/global and crypto/keys -------------------------------------------------

    async def engine_ids(self, engine: str, *, version: int) -> EngineIds:
        """The engine's sync ids, creating what an empty account lacks.

        The engine compares the result with the ids it synced against last time; any
        difference (including ``keys_fingerprint``) means: reset local sync state.
        """
        with self._node_watch():
            meta, keys = await self._setup()
            sync_id = meta.engine_sync_id(engine, version)
            if sync_id is None:
                meta = await self._add_engine(meta, engine, version)
                sync_id = meta.engines[engine]["syncID"]
        return EngineIds(meta.sync_id, sync_id, keys.fingerprint())

    async def collection_keys(self) -> CollectionKeys:
        with self._node_watch():
            _meta, keys = await self._setup()
        return keys

    async def _setup(self) -> tuple[MetaGlobal, CollectionKeys]:
        info = self._info if self._info is not None else await self.info_collections()
        meta, keys = self._meta, self._keys
        if (
            meta is not None
            and keys is not None
            and meta.modified == info.get("meta")
            and keys.modified == info.get("crypto")
        ):
            return meta.value, keys.value
        fetched = await self._read_or_create_meta()
        fetched.value.check_storage_version()  # before caching: it must stop every call
        self._meta = fetched
        self._keys = await self._read_or_create_keys()
        return self._meta.value, self._keys.value

    async def _read_or_create_meta(self) -> _Cached:
        bso = await self.storage.get_record("meta", "global")
        if bso is not None:
            return _Cached(MetaGlobal.from_payload(bso.payload), bso.modified)
        log.info("no meta/global on the server: creating it")
        meta = MetaGlobal.new()
        try:
            modified = await self._put("meta", {"id": "global", "payload": meta.to_payload()}, 0)
        except PreconditionFailedError:
            log.info("another client created meta/global first: adopting it")
            bso = await self.storage.get_record("meta", "global")
            if bso is None:
                raise SyncProtocolError("meta/global vanished while it was being set up.") from None
            return _Cached(MetaGlobal.from_payload(bso.payload), bso.modified)
        return _Cached(meta, modified)

    async def _read_or_create_keys(self) -> _Cached:
        bso = await self.storage.get_record("crypto", "keys")
        if bso is None:
            log.info("no crypto/keys on the server: creating them")
            keys = CollectionKeys.generate()
            record = {"id": "keys", "payload": keys.encrypt(self._root)}
            try:
                return _Cached(keys, await self._put("crypto", record, 0))
            except PreconditionFailedError:
                log.info("another client created crypto/keys first: adopting them")
                bso = await self.storage.get_record("crypto", "keys")
                if bso is None:
                    raise SyncProtocolError("crypto/keys vanished while being set up.") from None
        return _Cached(self._decrypt_keys(bso), bso.modified)

    def _decrypt_keys(self, bso: ServerBso) -> CollectionKeys:
        try:
            return CollectionKeys.decrypt(bso.payload, self._root)
        except RecordCryptoError as error:
            # Never regenerate: other devices' data is encrypted with these keys.
            log.warning("crypto/keys does not decrypt with this account's key: %s", error)
            raise CredentialsChangedError() from None

    async def _add_engine(self, meta: MetaGlobal, engine: str, version: int) -> MetaGlobal:
        assert self._meta is not None
        updated = meta.with_engine(engine, version)
        try:
            modified = await self._put(
                "meta", {"id": "global", "payload": updated.to_payload()}, self._meta.modified
            )
        except PreconditionFailedError:
            # Someone else changed meta/global; take theirs and look again.
            self._meta = await self._read_or_create_meta()
            theirs = self._meta.value
            if theirs.engine_sync_id(engine, version) is None:
                raise
            return theirs
        self._meta = _Cached(updated, modified)
        return updated

    async def _put(self, collection: str, record: dict[str, Any], since: float) -> float:
        modified = await self.storage.put_record(collection, record, if_unmodified_since=since)
        if self._info is not None:
            self._info[collection] = modified
        return modified

    # -- records ---------------------------------------------------------------------

    async def download(self, collection: str, *, newer: float | None = None) -> Download:
        """Every record changed after ``newer``, decrypted; unusable ones in ``skipped``."""
        with self._node_watch():
            keys = await self.collection_keys()
            bundle = keys.for_collection(collection)

            def decrypt(bso: ServerBso) -> IncomingRecord | SkippedRecord:
                try:
                    return _decrypt_record(bso, bundle)
                except RecordCryptoError as error:
                    log.warning("skipping %s record %s: %s", collection, bso.id, error.message)
                    return SkippedRecord(bso.id, bso.modified, error.message)

            # Decrypted page by page: the ciphertext of a large collection is never
            # held whole next to its cleartext.
            results, last_modified = await self.storage.get_collection(
                collection, newer=newer, page_size=self.page_size, decode=decrypt
            )
        records: list[IncomingRecord] = []
        skipped: list[SkippedRecord] = []
        for result in _newest_per_id(results):
            if isinstance(result, IncomingRecord):
                records.append(result)
            else:
                skipped.append(result)
        return Download(records, last_modified, skipped)

    async def upload(
        self,
        collection: str,
        records: Iterable[OutgoingRecord],
        *,
        if_unmodified_since: float | None,
    ) -> float:
        """Encrypt and upload; returns the collection's new last-modified time.

        Raises ``PreconditionFailedError`` when the collection changed after
        ``if_unmodified_since``: download and merge again before retrying.
        """
        with self._node_watch():
            keys = await self.collection_keys()
            limits = await self.limits()
            bundle = keys.for_collection(collection)
            bsos = [_encrypt_record(record, bundle) for record in records]
            modified = await self.storage.post_records(
                collection, bsos, if_unmodified_since=if_unmodified_since, limits=limits
            )
        if modified is None:
            return (self._info or {}).get(collection, 0.0)
        if self._info is not None:
            self._info[collection] = modified
        return modified


_Result = IncomingRecord | SkippedRecord


def _newest_per_id(results: list[_Result]) -> list[_Result]:
    """One record per id (a record rewritten between two pages shows up twice), in order."""
    newest: dict[str, _Result] = {}
    for result in results:
        if result.id not in newest or result.modified >= newest[result.id].modified:
            newest[result.id] = result
    return sorted(newest.values(), key=lambda result: result.modified)


def _decrypt_record(bso: ServerBso, bundle: KeyBundle) -> IncomingRecord:
    cleartext = decrypt_payload(bso.payload, bundle)
    inner_id = cleartext.setdefault("id", bso.id)
    if inner_id != bso.id:
        raise RecordCryptoError("the encrypted id does not match the record's id")
    return IncomingRecord(bso.id, bso.modified, bso.sortindex, cleartext)


def _encrypt_record(record: OutgoingRecord, bundle: KeyBundle) -> dict[str, Any]:
    record.check()
    cleartext = dict(record.cleartext)
    if cleartext.setdefault("id", record.id) != record.id:
        raise InvalidRecordError(f"Record {record.id!r} carries a different id inside.")
    bso: dict[str, Any] = {"id": record.id, "payload": encrypt_payload(cleartext, bundle)}
    if record.sortindex is not None:
        bso["sortindex"] = record.sortindex
    if record.ttl is not None:
        bso["ttl"] = record.ttl
    return bso
