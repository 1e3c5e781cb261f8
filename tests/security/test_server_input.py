"""What the server sends: bookmark records, the remote tree, the merge and FxA answers.

Every shape of decrypted cleartext either reads as a record or raises ``RecordError``;
every set of records builds a sound tree; merging any of them with a browser tree gives
a sound tree; every FxA answer either parses or raises ``MalformedResponseError``.
"""

from __future__ import annotations

import contextlib
import math

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from daemon.bookmarks.merge import merge
from daemon.bookmarks.model import MENU, PLACES_ROOT, USER_ROOTS, Item, Kind, Tree
from daemon.bookmarks.records import RecordError, parse_record, record_from_item
from daemon.bookmarks.tree import build_remote_tree
from daemon.errors import FoxbridgeError
from daemon.fxa import wire
from daemon.fxa.errors import MalformedResponseError, error_for
from tests.bookmarks.test_merge_robustness import assert_sound
from tests.security.strategies import JSON, json_or

FUZZ = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# A small id pool so that random records collide: cycles, duplicates, self-parents.
IDS = st.sampled_from(
    [
        *("aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc", "dddddddddddd", "bad id", "x" * 13),
        *(*USER_ROOTS, PLACES_ROOT, "menu________", "root________", "pinned", "readinglist", ""),
    ]
)
TYPES = st.sampled_from([k.value for k in Kind] + ["item", "microsummary", ""])
URLS = st.sampled_from(
    ["https://a.example/", "place:sort=8", "javascript:x", "http://", "a b", "\x00", "x" * 70000]
)
TIMES = st.floats(min_value=0, max_value=2e9, allow_nan=False)


def cleartexts() -> st.SearchStrategy[object]:
    record = st.fixed_dictionaries(
        {"id": json_or(IDS)},
        optional={
            "type": json_or(TYPES),
            "parentid": json_or(IDS),
            "children": json_or(st.lists(json_or(IDS), max_size=6)),
            "title": JSON,
            "bmkUri": json_or(URLS),
            "feedUri": json_or(URLS),
            "deleted": JSON,
            "dateAdded": JSON,
            "pos": JSON,
            "tags": JSON,
            "unknownField": JSON,
        },
    )
    return record | JSON


@FUZZ
@given(cleartexts(), TIMES)
def test_any_cleartext_reads_as_a_record_or_a_record_error(cleartext, modified):
    try:
        record = parse_record(cleartext, modified=modified)
    except RecordError as failure:
        assert failure.message
        return
    item = record.item
    if item is None:
        return
    assert isinstance(item.guid, str) and isinstance(item.title, str)
    assert all(isinstance(child, str) for child in item.children)
    assert item.date_added >= 0
    # What was read can be written back.
    assert record_from_item(item, parent_title="")["id"] == item.guid


def _records(cleartext_list, times):
    out = []
    for cleartext, modified in zip(cleartext_list, times, strict=False):
        with contextlib.suppress(RecordError):
            out.append(parse_record(cleartext, modified=modified))
    return out


@FUZZ
@given(st.lists(cleartexts(), max_size=14), st.lists(TIMES, min_size=14, max_size=14))
def test_any_record_set_builds_a_sound_tree(cleartext_list, times):
    remote = build_remote_tree(_records(cleartext_list, times))
    assert_sound(remote.tree)
    assert not (remote.tree.tombstones & set(USER_ROOTS))


def _browser_side(guids: list[str], parents: list[int], kinds: list[bool]) -> Tree:
    """A sound local tree: every item under a shown root or an earlier folder."""
    tree = Tree()
    for root in USER_ROOTS:
        tree.add(Item(root, Kind.FOLDER, PLACES_ROOT))
    folders = [root for root in USER_ROOTS if root != MENU]  # the menu may be hidden
    for guid, parent_index, is_folder in zip(guids, parents, kinds, strict=False):
        if guid in tree:
            continue
        parent = folders[parent_index % len(folders)]
        kind = Kind.FOLDER if is_folder else Kind.BOOKMARK
        url = None if is_folder else "https://a.example/"
        tree.add(Item(guid, kind, parent, "t", url, modified=1.0))
        tree.items[parent].children.append(guid)
        if is_folder:
            folders.append(guid)
    return tree


LOCAL_GUIDS = st.lists(
    st.sampled_from(["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc", "eeeeeeeeeeee"]),
    max_size=5,
)


@FUZZ
@given(
    st.lists(cleartexts(), max_size=12),
    st.lists(TIMES, min_size=12, max_size=12),
    LOCAL_GUIDS,
    st.lists(st.integers(0, 10), min_size=5, max_size=5),
    st.lists(st.booleans(), min_size=5, max_size=5),
    st.booleans(),
    st.booleans(),
)
def test_merge_with_any_remote_tree_is_sound(
    cleartext_list, times, guids, parents, kinds, local_is_base, hide_menu
):
    remote = build_remote_tree(_records(cleartext_list, times)).tree
    local = _browser_side(guids, parents, kinds)
    base = _browser_side(guids, parents, kinds) if local_is_base else Tree()
    result = merge(
        base, local, remote, hidden_roots=frozenset({MENU}) if hide_menu else frozenset()
    )
    assert_sound(result.tree)
    assert not (result.deleted & set(result.tree.items))
    # Nothing the browser has and nobody deleted is lost.
    for guid in local.items:
        assert result.remapped.get(guid, guid) in result.tree.items or guid in result.deleted


# -- FxA answers ---------------------------------------------------------------------------

HEX32 = "ab" * 32
FXA_FIELDS = {
    "uid": json_or(st.just("0123456789abcdef0123456789abcdef")),
    "sessionToken": json_or(st.just(HEX32)),
    "keyFetchToken": json_or(st.just(HEX32)),
    "verified": JSON,
    "verificationMethod": JSON,
    "authAt": JSON,
    "access_token": json_or(st.just("a" * 64)),
    "refresh_token": json_or(st.just("b" * 64)),
    "token_type": json_or(st.just("bearer")),
    "expires_in": json_or(st.just(3600)),
    "scope": JSON,
    "keys_jwe": JSON,
    "state": json_or(st.sampled_from(["verified", "unverified"])),
    "currentVersion": json_or(st.sampled_from(["v1", "v2"])),
    "clientSalt": JSON,
    "id": JSON,
    "name": JSON,
    "bundle": json_or(st.just("cd" * 96)),
    "keyRotationSecret": JSON,
    "keyRotationTimestamp": JSON,
    "identifier": JSON,
    "email": json_or(st.just("a@example.com")),
}
FXA_ANSWERS = st.fixed_dictionaries({}, optional=FXA_FIELDS) | JSON

PARSERS = [
    lambda data: wire.LoginResult.parse(data, keys=True),
    lambda data: wire.LoginResult.parse(data, keys=False, stretch_version=2),
    lambda data: wire.OAuthTokens.parse(data, want_refresh=True),
    lambda data: wire.OAuthTokens.parse(data, want_refresh=False),
    lambda data: wire.ScopedKeyData.parse(data, "https://identity.mozilla.com/apps/oldsync"),
    wire.DeviceRecord.parse,
    wire.SessionStatus.parse,
    wire.CredentialsStatus.parse,
    wire.key_bundle,
]


@FUZZ
@given(st.sampled_from(range(len(PARSERS))), FXA_ANSWERS)
@example(2, {"access_token": "a" * 64, "token_type": None})  # once an AttributeError
def test_any_fxa_answer_parses_or_is_malformed(parser, data):
    assert issubclass(MalformedResponseError, FoxbridgeError)
    try:
        PARSERS[parser](data)
    except MalformedResponseError as failure:
        assert failure.message


ERROR_BODIES = (
    st.fixed_dictionaries(
        {"errno": json_or(st.sampled_from([102, 103, 104, 110, 111, 114, 120, 124, 125, 201]))},
        optional={
            "code": JSON,
            "retryAfter": json_or(st.sampled_from([1e300, float("inf"), -5, 2**80])),
            "serverTime": json_or(st.sampled_from([float("nan"), 1e300, -1])),
            "email": JSON,
            "deviceId": JSON,
            "verificationMethod": JSON,
            "error": JSON,
            "message": JSON,
        },
    )
    | JSON
)
RETRY_HEADERS = st.fixed_dictionaries(
    {}, optional={"Retry-After": st.sampled_from(["", "5", "-1", "9" * 30, "x", "1e9"])}
)


@FUZZ
@given(st.sampled_from([400, 401, 403, 406, 410, 429, 500, 503]), ERROR_BODIES, RETRY_HEADERS)
@example(429, {"errno": 114, "retryAfter": float("inf")}, {})  # once an OverflowError
@example(429, {"errno": 114, "retryAfter": 1e300}, {})
@example(429, None, {"Retry-After": "9" * 30})
@example(429, {"errno": 114, "retryAfter": 10**400}, {})
@example(400, {"errno": 111, "serverTime": float("nan")}, {})
def test_any_fxa_error_answer_is_a_plain_error(status, body, headers):
    error = error_for(status, body, headers)
    assert isinstance(error, FoxbridgeError) and str(error)
    server_time = getattr(error, "server_time", None)
    if server_time is not None:  # used as a clock offset for Hawk: must be a real time
        assert math.isfinite(server_time)
