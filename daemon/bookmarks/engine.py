"""One sync of one browser profile (design.md, "One sync, step by step").

``sync_profile`` runs the steps in order; each is announced to ``progress`` before the
next starts:

1. ``setup``: info/collections, and the engine's sync ids when meta/global or
   crypto/keys changed; changed ids (or a node reassignment) forget the mirror and base,
   so the sync becomes a first sync: a merge, never a wipe.
2. ``download``: records newer than the mirror's last-modified.
3. ``read``: the browser's tree, projected onto GUIDs. A sync with nothing downloaded
   and a browser equal to the base ends here (the common case: two requests). When the
   caller knows the browser has not changed since the last sync (``browser_unchanged``)
   and the server has nothing new, the sync ends after ``setup`` instead: one request,
   and neither the tree nor the stored base is read.
4. ``merge``: base vs local vs the remote tree built from the mirror; then the plan.
5. ``brake``: unusual deletions stop the sync before anything is touched.
6. ``snapshot``: both trees, before the first change.
7. ``apply``: operations to the browser. New id-map entries (fresh GUIDs of new browser
   nodes, GUIDs taken by content matches, ids of created nodes) are saved at once.
8. ``upload``: changed records with X-If-Unmodified-Since; a 412 goes back to 2.
9. ``commit``: base, mirror and id map in one transaction.

Crash safety: until step 9 the store holds the state of before the sync, apart from id
map entries, which only ever say truthfully which browser node is which GUID. A sync
after a crash therefore sees the browser's applied changes as local changes and the
uploaded records as remote changes — the same edits on both sides, which the merge
takes once. Nodes created in the browser before their ids were saved have no GUID and
are matched by content to the items they came from.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from daemon.errors import FoxbridgeError, ServerError
from daemon.settings import MenuPlacement, Settings
from daemon.sync.client import OutgoingRecord, SyncClient
from daemon.sync.errors import NodeReassignedError, PreconditionFailedError
from daemon.sync.meta import MetaGlobal

from . import brake
from .brake import DeletionPreview
from .chrome import BrowserTree, Projection, menu_parent_root, parse_tree, project
from .endpoints import BrowserEndpoint
from .merge import MergeResult, merge
from .model import MENU, USER_ROOTS, Tree
from .plan import BrowserPlan, PlannedRecord, plan_browser, plan_upload, visible_items
from .records import RecordError, RemoteRecord, parse_record
from .snapshots import Snapshots
from .store import (
    MirrorRecord,
    ProfileState,
    ServerSetup,
    StateError,
    StateStore,
    bulk_allocation,
    outcome,
)
from .tree import RemoteTree, build_remote_tree

log = logging.getLogger(__name__)

COLLECTION = "bookmarks"
ENGINE_VERSION = 2
MAX_ATTEMPTS = 3  # downloads and merges per sync when uploads meet 412s

STEPS = ("setup", "download", "read", "merge", "brake", "snapshot", "apply", "upload", "commit")


Progress = Callable[[int, int], None]  # (steps done, steps in all)
# Called with each step's name when it is done; may be a coroutine function.
StepHook = Callable[[str], Awaitable[None] | None]


class BrowserApplyError(FoxbridgeError):
    """The browser did not apply every operation; the sync is retried, nothing is lost."""


@dataclass
class SyncReport:
    profile_id: str
    first_sync: bool = False
    dry_run: bool = False
    changed: bool = False
    downloaded: int = 0
    skipped: int = 0  # server records that could not be read
    uploaded: int = 0
    tombstones: int = 0
    created: int = 0  # in the browser
    updated: int = 0
    moved: int = 0
    removed: int = 0
    attempts: int = 1
    last_modified: float | None = None  # the collection's, after this sync
    requests: int = 0
    seconds: float = 0.0
    snapshot: str | None = None
    problems: dict[str, int] = field(default_factory=dict)  # server tree repairs
    brake: dict[str, Any] | None = None  # the preview, when the brake would stop the sync
    ops: list[dict[str, Any]] = field(default_factory=list)  # dry runs only
    records: list[dict[str, Any]] = field(default_factory=list)  # dry runs only: id, deleted

    def summary(self) -> str:
        """One plain sentence for people (the popup, the CLI); counts that are zero are left
        out."""
        if not self.changed:
            return "Up to date."
        here = _counts(
            ("added", self.created),
            ("changed", self.updated),
            ("moved", self.moved),
            ("removed", self.removed),
        )
        there = _counts(("saved", self.uploaded - self.tombstones), ("deleted", self.tombstones))
        parts = [f"{where}: {what}" for where, what in (("This browser", here), ("Account", there))]
        sentence = "; ".join(part for part in parts if not part.endswith(": ")) + "."
        return f"Would change — {sentence}" if self.dry_run else sentence

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["summary"] = self.summary()
        return data


def _counts(*pairs: tuple[str, int]) -> str:
    return ", ".join(f"{count} {what}" for what, count in pairs if count)


@dataclass
class _Remote:
    """The server side as this sync knows it: the mirror plus what was downloaded."""

    mirror: dict[str, MirrorRecord]
    last_modified: float | None
    loaded: bool = False  # whether ``mirror`` holds the stored mirror (it is read lazily)
    changes: dict[str, MirrorRecord] = field(default_factory=dict)  # to save in the mirror

    def add(self, guid: str, modified: float, cleartext: dict[str, Any]) -> None:
        record = MirrorRecord(modified, cleartext)
        self.mirror[guid] = record
        self.changes[guid] = record

    def tree(self) -> tuple[RemoteTree, int]:
        records: list[RemoteRecord] = []
        unreadable = 0
        for record in self.mirror.values():
            try:
                records.append(parse_record(record.cleartext, modified=record.modified))
            except RecordError as error:
                unreadable += 1
                log.warning("ignoring a bookmark record: %s", error.message)
        return build_remote_tree(records), unreadable

    def live_ids(self) -> set[str]:
        return {guid for guid, record in self.mirror.items() if not record.deleted}


async def sync_profile(
    endpoint: BrowserEndpoint,
    client: SyncClient,
    store: StateStore,
    settings: Settings,
    *,
    dry_run: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    snapshots: Snapshots | None = None,
    changed_at: Mapping[str, float] | None = None,
    after_step: StepHook | None = None,
    browser_unchanged: bool = False,
) -> SyncReport:
    """Sync one profile with the server. See the module's docstring for the steps.

    ``changed_at`` gives, per browser id, when the browser reported a change (ms;
    by default the endpoint's own ``changed_at``, if it keeps one). ``snapshots``
    defaults to the ``snapshots`` folder beside the state database. ``after_step`` is
    told each step's name as it completes (tests use it to interrupt a sync anywhere).
    ``browser_unchanged`` promises that the browser's tree is the one the last
    successful sync left (no change reported since). A dry run reads but writes
    nothing: not the browser, the server or the state.
    """
    started = time.monotonic()
    requests_before = client.requests
    if snapshots is None:
        snapshots = Snapshots(store.path.parent / "snapshots", keep=settings.snapshots_keep)
    if changed_at is None:
        changed_at = getattr(endpoint, "changed_at", None)
    hooks = _Hooks(progress, after_step)
    run = _Sync(endpoint, client, store, settings, dry_run, force, hooks, snapshots)
    try:
        with bulk_allocation():
            report = await run.run(changed_at or {}, browser_unchanged and not dry_run)
    except NodeReassignedError:
        if not dry_run:
            store.reset(endpoint.profile_id)
        raise
    except FoxbridgeError as error:
        if not dry_run:
            store.record_outcome(endpoint.profile_id, outcome(False, error.message))
        raise
    report.seconds = round(time.monotonic() - started, 3)
    report.requests = client.requests - requests_before
    return report


@dataclass
class _Hooks:
    progress: Progress | None
    after_step: StepHook | None

    async def step(self, name: str) -> None:
        if self.progress is not None:
            self.progress(STEPS.index(name) + 1, len(STEPS))
        if self.after_step is not None:
            result = self.after_step(name)
            if inspect.isawaitable(result):
                await result


class _Sync:
    def __init__(
        self,
        endpoint: BrowserEndpoint,
        client: SyncClient,
        store: StateStore,
        settings: Settings,
        dry_run: bool,
        force: bool,
        hooks: _Hooks,
        snapshots: Snapshots,
    ) -> None:
        self.endpoint = endpoint
        self.profile_id = endpoint.profile_id
        self.client = client
        self.store = store
        self.settings = settings
        self.dry_run = dry_run
        self.force = force
        self.step = hooks.step
        self.snapshots = snapshots
        self.report = SyncReport(self.profile_id, dry_run=dry_run)

    async def run(self, changed_at: Mapping[str, float], browser_unchanged: bool) -> SyncReport:
        state = self._load_state(whole=not browser_unchanged)
        server, remote_unchanged = await self._setup(state)
        await self.step("setup")
        self.report.first_sync = state.is_first_sync
        remote = _Remote({}, state.last_modified)
        # After a prefetch the mirror is ahead of the base: the server no longer holds it.
        server_is_base = (
            state.synced_modified is not None and state.last_modified == state.synced_modified
        )
        if browser_unchanged:
            if remote_unchanged and server_is_base:
                return self._finish_unchanged(state, server, remote.last_modified)
            whole = self._load_state()  # (after a reset in ``_setup``: the empty base)
            state.base, state.id_map = whole.base, whole.id_map

        for attempt in range(1, MAX_ATTEMPTS + 1):
            self.report.attempts = attempt
            if not remote_unchanged and server.engine_ids:
                self._load_mirror(remote)
                await self._download(remote)
            await self.step("download")

            tree_json = await self.endpoint.read_tree()
            browser = parse_tree(tree_json)
            projection = project(
                browser,
                state.id_map,
                placement=self.settings.menu_placement,
                now=time.time(),
                changed_at=changed_at,
            )
            await self.step("read")
            if (
                not remote.changes
                and server_is_base
                and _same(projection, state.base, self.settings.menu_placement)
            ):
                return self._finish_unchanged(state, server, remote.last_modified)

            if not remote.changes and server_is_base:
                # Nothing arrived since the last sync, which left the server holding
                # exactly the base: no need to read and repair 100,000 records again.
                remote_tree = RemoteTree(Tree(dict(state.base.items), set(state.base.tombstones)))
                server_live = set(state.base.items)
            else:
                self._load_mirror(remote)
                remote_tree, unreadable = remote.tree()
                self.report.skipped += unreadable
                self.report.problems = dict(remote_tree.problems)
                server_live = remote.live_ids()
            result = merge(
                state.base, projection.tree, remote_tree.tree, hidden_roots=projection.hidden_roots
            )
            _take_remaps(projection, result)
            browser_plan = plan_browser(
                result.tree, browser, projection, placement=self.settings.menu_placement
            )
            records = plan_upload(
                result.tree,
                remote_tree.tree,
                server_live=server_live,
                deleted=result.deleted,
                must_upload=result.upload,
            )
            self._count(browser_plan, records)
            await self.step("merge")

            preview = _preview(projection.tree, browser, browser_plan, remote_tree, result, records)
            if self.dry_run:
                if brake.trips(preview, self.settings):
                    self.report.brake = preview.to_status()
                self.report.ops = browser_plan.ops
                self.report.records = [{"id": r.guid, "deleted": r.deleted} for r in records]
                return self.report
            brake.check(preview, self.settings, force=self.force)
            await self.step("brake")

            if self.report.changed and attempt == 1:
                self.report.snapshot = self._snapshot(tree_json, projection, remote, browser)
            await self.step("snapshot")

            id_map = await self._apply(state, browser, projection, browser_plan)
            state.id_map = id_map
            await self.step("apply")

            try:
                last_modified = await self._upload(remote, records)
            except PreconditionFailedError:
                log.info("the server changed during the sync; merging again")
                remote_unchanged = False
                server_is_base = False
                continue
            await self.step("upload")

            self.store.commit_sync(
                self.profile_id,
                server=server,
                last_modified=last_modified,
                base=result.tree,
                mirror_changes=(
                    (guid, record.modified, record.cleartext)
                    for guid, record in remote.changes.items()
                ),
                id_map=id_map,
                outcome=outcome(True, self.report.summary()),
            )
            self.report.last_modified = last_modified
            await self.step("commit")
            return self.report
        raise ServerError("The Sync server kept changing during the sync; it will be retried.")

    # -- steps ---------------------------------------------------------------------------

    def _load_state(self, *, whole: bool = True) -> ProfileState:
        try:
            return self.store.load(self.profile_id, whole=whole)
        except StateError as error:
            log.warning("%s; starting this profile's sync state afresh", error.message)
            if self.dry_run:
                return ProfileState(self.profile_id)
            self.store.reset(self.profile_id)
            return self.store.load(self.profile_id)

    async def _setup(self, state: ProfileState) -> tuple[ServerSetup, bool]:
        """The server generation to sync against, and whether the collection is unchanged
        since the mirror (so neither meta/global, crypto/keys nor records are fetched)."""
        info = await self.client.info_collections()
        if state.last_modified is not None and info.get(COLLECTION, 0.0) < state.last_modified:
            # The collection is older than what we synced (wiped, or restored from a
            # backup): our mirror describes data the server no longer has.
            self._start_afresh(state, "the server's bookmarks went back in time")
        known = state.server
        if (
            known is not None
            and state.last_modified is not None
            and known.meta_modified == info.get("meta")
            and known.crypto_modified == info.get("crypto")
        ):
            unchanged = info.get(COLLECTION, 0.0) <= state.last_modified
            return known, unchanged
        if self.dry_run and ("meta" not in info or "crypto" not in info):
            # An empty account: setting it up would write to the server.
            return ServerSetup(()), False
        if self.dry_run:
            engine_ids = await self._read_engine_ids()
        else:
            ids = await self.client.engine_ids(COLLECTION, version=ENGINE_VERSION)
            engine_ids = (ids.global_sync_id, ids.engine_sync_id, ids.keys_fingerprint)
        info = await self.client.info_collections() if "meta" not in info else info
        server = ServerSetup(
            engine_ids,
            info.get("meta"),
            info.get("crypto"),
        )
        if known is not None and known.engine_ids != server.engine_ids:
            self._start_afresh(state, "the server's bookmark data was reset")
        return server, False

    async def _read_engine_ids(self) -> tuple[str, ...]:
        """The engine's ids without writing anything (``engine_ids`` adds a missing engine
        to meta/global, which a dry run must not)."""
        bso = await self.client.storage.get_record("meta", "global")
        if bso is None:
            return ()
        meta = MetaGlobal.from_payload(bso.payload)
        keys = await self.client.collection_keys()
        engine_sync_id = meta.engine_sync_id(COLLECTION, ENGINE_VERSION) or ""
        return (meta.sync_id, engine_sync_id, keys.fingerprint())

    def _start_afresh(self, state: ProfileState, why: str) -> None:
        """Forget mirror and base: this sync becomes a first sync (a merge, never a wipe)."""
        log.info("%s; this sync starts afresh", why)
        if not self.dry_run:
            self.store.reset(self.profile_id)
        state.server, state.last_modified, state.base = None, None, Tree()

    async def _download(self, remote: _Remote) -> None:
        download = await self.client.download(COLLECTION, newer=remote.last_modified)
        for record in download.records:
            remote.add(record.id, record.modified, record.cleartext)
        self.report.downloaded += len(download.records)
        self.report.skipped += len(download.skipped)
        remote.last_modified = download.last_modified

    def _load_mirror(self, remote: _Remote) -> None:
        if not remote.loaded:
            remote.mirror = {**self.store.load_mirror(self.profile_id), **remote.mirror}
            remote.loaded = True

    def _finish_unchanged(
        self, state: ProfileState, server: ServerSetup, last_modified: float | None
    ) -> SyncReport:
        self.report.last_modified = last_modified
        if not self.dry_run and server != state.server:
            # Only meta/global or crypto/keys moved (same ids): remember when, so the
            # next sync need not fetch them again.
            self.store.save_server(self.profile_id, server)
        if not self.dry_run:
            self.store.record_outcome(self.profile_id, outcome(True, self.report.summary()))
        return self.report

    def _count(self, plan: BrowserPlan, records: list[PlannedRecord]) -> None:
        report = self.report
        report.created, report.updated = plan.created, plan.updated
        report.moved, report.removed = plan.moved, plan.removed
        report.uploaded = len(records)
        report.tombstones = sum(1 for record in records if record.deleted)
        report.changed = bool(plan.ops or records)

    def _snapshot(
        self,
        tree_json: list[dict[str, Any]],
        projection: Projection,
        remote: _Remote,
        browser: BrowserTree,
    ) -> str | None:
        self._load_mirror(remote)
        remote_records = [r.cleartext for r in remote.mirror.values() if not r.deleted]
        if browser.item_count() == 0 and all(
            record.get("id") in USER_ROOTS for record in remote_records
        ):
            return None  # no bookmark on either side: nothing a restore could bring back
        info = self.snapshots.take(
            self.profile_id,
            browser_tree=tree_json,
            id_map=projection.guid_of,
            remote_records=remote_records,
            local_count=browser.item_count(),
            reason="before sync",
        )
        return info.id

    async def _apply(
        self,
        state: ProfileState,
        browser: BrowserTree,
        projection: Projection,
        plan: BrowserPlan,
    ) -> dict[str, str]:
        """Apply the plan to the browser; returns the id map after it."""
        id_map = {
            node_id: guid
            for node_id, guid in projection.guid_of.items()
            if node_id not in browser.roots.values()
        }
        # Saved before the browser or the server sees them: after a crash the next sync
        # must know these nodes by the GUIDs this sync is about to upload.
        self.store.add_ids(
            self.profile_id,
            {
                node_id: guid
                for node_id, guid in id_map.items()
                if state.id_map.get(node_id) != guid
            },
        )
        if not plan.ops:
            return id_map
        created = await self.endpoint.apply(plan.ops)
        wanted = {op["ref"] for op in plan.ops if op["op"] == "create"}
        new_ids = {node_id: ref for ref, node_id in created.items() if ref in wanted and node_id}
        self.store.add_ids(self.profile_id, new_ids)
        for node_id in plan.removed_ids:
            id_map.pop(node_id, None)
        id_map.update(new_ids)
        if len(new_ids) != len(wanted):
            raise BrowserApplyError(
                "The browser did not create every bookmark; the sync will be retried."
            )
        return id_map

    async def _upload(self, remote: _Remote, records: list[PlannedRecord]) -> float:
        if not records:
            return remote.last_modified or 0.0
        outgoing = [OutgoingRecord(r.guid, r.cleartext, sortindex=r.sortindex) for r in records]
        modified = await self.client.upload(
            COLLECTION, outgoing, if_unmodified_since=remote.last_modified
        )
        for record in records:
            remote.add(record.guid, modified, record.cleartext)
        remote.last_modified = modified
        return modified


async def prefetch(client: SyncClient, store: StateStore) -> int:
    """Download remote changes into the mirror of every synced profile, between syncs.

    The daemon calls this while no browser is connected, so that the next sync only
    merges. The base stays as it is (the next sync sees the mirror ahead of it). A
    profile whose server data was reset is reset here too. Returns the records fetched.
    """
    fetched = 0
    info = await client.info_collections()
    for profile_id, (server, last_modified) in store.positions().items():
        if info.get(COLLECTION, 0.0) <= last_modified:
            continue  # nothing new (a collection gone back in time is the sync's to handle)
        if (server.meta_modified, server.crypto_modified) != (info.get("meta"), info.get("crypto")):
            ids = await client.engine_ids(COLLECTION, version=ENGINE_VERSION)
            if (ids.global_sync_id, ids.engine_sync_id, ids.keys_fingerprint) != server.engine_ids:
                store.reset(profile_id)
                continue
        download = await client.download(COLLECTION, newer=last_modified)
        store.save_prefetched(
            profile_id,
            ((record.id, record.modified, record.cleartext) for record in download.records),
            download.last_modified,
        )
        fetched += len(download.records)
    return fetched


def _take_remaps(projection: Projection, result: MergeResult) -> None:
    """Browser nodes whose GUID the merge replaced (content matches) take the new GUID."""
    if not result.remapped:
        return
    for node_id, guid in projection.guid_of.items():
        if guid in result.remapped:
            projection.guid_of[node_id] = result.remapped[guid]


def _same(projection: Projection, base: Tree, placement: MenuPlacement) -> bool:
    """Whether the browser shows exactly the base (so nothing changed locally)."""
    local = projection.tree
    if projection.new_guids or projection.dropped_ids:
        return False
    if menu_parent_root(placement) is not None and MENU in base and MENU not in local:
        return False  # the menu's folder must be (re)created
    shown = visible_items(base, [root for root in USER_ROOTS if root in local])
    if len(shown) != len(local.items):
        return False
    for guid, item in local.items.items():
        theirs = base.get(guid)
        if theirs is None or guid not in shown or theirs.kind != item.kind:
            return False
        if item.children != [child for child in theirs.children if child in shown]:
            return False
        if guid not in USER_ROOTS and (
            theirs.title != item.title or theirs.url != item.url or theirs.parent != item.parent
        ):
            return False
    return True


def _preview(
    local: Tree,
    browser: BrowserTree,
    plan: BrowserPlan,
    remote_tree: RemoteTree,
    result: MergeResult,
    records: list[PlannedRecord],
) -> DeletionPreview:
    """What the sync would delete on each side, for the brake."""
    remote, merged = remote_tree.tree, result.tree
    tombstoned = {r.guid for r in records if r.deleted}
    remote_deleted = [
        item
        for root in USER_ROOTS
        for item in remote.walk(root)
        if item.guid in tombstoned and item.kind.shown_in_chrome
    ]
    titles = list(plan.deleted_titles)
    titles.extend(item.title or item.url or "(untitled)" for item in remote_deleted)
    emptied = []
    for root in USER_ROOTS:
        ours = merged.get(root)
        if ours is None or ours.children:
            continue
        had_local = root in local and local.items[root].children
        had_remote = root in remote and remote.items[root].children
        if had_local or had_remote:
            emptied.append(root)
    return DeletionPreview(
        local_deletions=plan.deleted,
        local_total=browser.item_count(),
        remote_deletions=len(remote_deleted),
        remote_total=max(0, len(remote.items) - len(USER_ROOTS)),
        emptied_roots=emptied,
        titles=titles,
    )
