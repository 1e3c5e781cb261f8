"""Sync bookmark records ⇄ items: what real clients send, validity, and lossless upload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemon.bookmarks.model import Item, Kind, Validity
from daemon.bookmarks.records import (
    RecordError,
    parse_record,
    record_from_item,
    sortindex_for,
    tombstone_record,
)

VECTORS = Path("/work/shared/spec/vectors/sync-bookmark-record.json")
if not VECTORS.exists():  # the checkout may carry its own copy
    VECTORS = Path(__file__).parents[2] / "spec" / "vectors" / "sync-bookmark-record.json"

MODIFIED = 1_700_000_500.25  # the server's timestamp for every record here


def vector_cases() -> dict[str, dict]:
    cases = json.loads(VECTORS.read_text())["cases"]
    return {case["kind"]: json.loads(case["cleartext_utf8"]) for case in cases}


@pytest.fixture(scope="module")
def vectors() -> dict[str, dict]:
    if not VECTORS.exists():
        pytest.skip("sync-bookmark-record.json not available")
    return vector_cases()


def test_firefox_sample_bookmark_is_parsed(vectors):
    record = parse_record(vectors["bookmark"], modified=MODIFIED)
    item = record.item
    assert record.validity is Validity.VALID and not record.deleted
    assert item is not None
    assert (item.guid, item.kind, item.parent) == ("Vxc9sD2cEa6E", Kind.BOOKMARK, "toolbar")
    assert (item.title, item.url) == ("Mozilla", "https://www.mozilla.org/")
    assert item.date_added == 1700000000000
    assert item.modified == MODIFIED
    assert item.extra == {}


def test_firefox_sample_root_folder_is_parsed(vectors):
    item = parse_record(vectors["folder"], modified=MODIFIED).item
    assert item is not None
    assert (item.guid, item.kind, item.parent) == ("toolbar", Kind.FOLDER, "places")
    assert item.children == ["Vxc9sD2cEa6E"]


def test_firefox_sample_tombstone_is_parsed(vectors):
    record = parse_record(vectors["tombstone"], modified=MODIFIED)
    assert record.deleted and record.guid == "kR3hb7Q_-nYt"


def test_firefox_samples_round_trip_exactly(vectors):
    for kind in ("bookmark", "folder"):
        original = vectors[kind]
        item = parse_record(original, modified=MODIFIED).item
        assert item is not None
        again = record_from_item(item, parent_title=original["parentName"])
        assert again == original


def test_unknown_and_uninterpreted_fields_come_back_unchanged():
    cleartext = {
        "id": "abcdefghijkl",
        "type": "bookmark",
        "parentid": "menu",
        "parentName": "Bookmarks Menu",
        "hasDupe": False,
        "dateAdded": 1600000000000,
        "title": "T",
        "bmkUri": "https://example.com/",
        "tags": ["a", "b"],
        "keyword": "kw",
        "description": "old",
        "loadInSidebar": True,
        "futureField": {"nested": [1, 2]},
    }
    item = parse_record(cleartext, modified=MODIFIED).item
    assert item is not None
    assert item.extra == {
        "tags": ["a", "b"],
        "keyword": "kw",
        "description": "old",
        "loadInSidebar": True,
        "futureField": {"nested": [1, 2]},
    }
    again = record_from_item(item, parent_title="Bookmarks Menu")
    assert again == {**cleartext, "hasDupe": True}


def test_query_livemark_and_separator_fields_are_kept():
    query = {
        "id": "qqqqqqqqqqqq",
        "type": "query",
        "parentid": "toolbar",
        "title": "Tag",
        "bmkUri": "place:tag=x",
        "folderName": "x",
        "queryId": "MostVisited",
    }
    item = parse_record(query, modified=MODIFIED).item
    assert item is not None and item.kind is Kind.QUERY
    assert item.extra == {"folderName": "x", "queryId": "MostVisited"}

    live = {
        "id": "llllllllllll",
        "type": "livemark",
        "parentid": "menu",
        "title": "Feed",
        "feedUri": "https://f.example/rss",
        "siteUri": "https://f.example/",
        "children": [],
    }
    record = parse_record(live, modified=MODIFIED)
    assert record.validity is Validity.VALID
    assert record.item is not None and record.item.kind is Kind.LIVEMARK
    assert record_from_item(record.item, parent_title="")["feedUri"] == "https://f.example/rss"

    separator = {"id": "ssssssssssss", "type": "separator", "parentid": "menu", "pos": 7}
    item = parse_record(separator, modified=MODIFIED).item
    assert item is not None and item.kind is Kind.SEPARATOR and "pos" not in item.extra
    out = record_from_item(item, parent_title="Bookmarks Menu", position=3)
    assert out["pos"] == 3 and "title" not in out and "bmkUri" not in out


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1600000000000, 1600000000000),
        ("1600000000000", 1600000000000),
        (None, 1700000500250),
        ("soon", 1700000500250),
        (-5, 1700000500250),
        (True, 1700000500250),
        (1800000000000, 1700000500250),  # later than the server saw it: the earlier wins
    ],
)
def test_date_added_accepts_ints_and_strings_and_falls_back_to_modified(value, expected):
    cleartext = {"id": "abcdefghijkl", "type": "folder", "parentid": "menu", "title": "F"}
    if value is not None:
        cleartext["dateAdded"] = value
    item = parse_record(cleartext, modified=MODIFIED).item
    assert item is not None and item.date_added == expected


def test_places_root_spellings_are_normalised():
    cleartext = {
        "id": "menu________",
        "type": "folder",
        "parentid": "root________",
        "children": ["abcdefghijkl", "toolbar_____"],
    }
    item = parse_record(cleartext, modified=MODIFIED).item
    assert item is not None
    assert (item.guid, item.parent) == ("menu", "places")
    assert item.children == ["abcdefghijkl", "toolbar"]


@pytest.mark.parametrize("url", [None, "", "not a url", "https://", 42, "x" * 70000, " https://a/"])
def test_bookmark_without_a_parseable_url_must_be_replaced(url):
    cleartext = {"id": "abcdefghijkl", "type": "bookmark", "parentid": "menu", "title": "T"}
    if url is not None:
        cleartext["bmkUri"] = url
    record = parse_record(cleartext, modified=MODIFIED)
    assert record.validity is Validity.REPLACE
    assert record.item is not None and record.item.validity is Validity.REPLACE
    assert record.item.url is None


def test_livemark_without_feed_must_be_replaced():
    cleartext = {"id": "abcdefghijkl", "type": "livemark", "parentid": "menu", "title": "T"}
    assert parse_record(cleartext, modified=MODIFIED).validity is Validity.REPLACE


@pytest.mark.parametrize(
    "change",
    [
        {"title": 5},
        {"children": "abc"},
        {"children": ["abcdefghijk1", 7]},
        {"children": ["abcdefghijk1", "abcdefghijk1"]},
    ],
)
def test_repairable_field_types_are_fixed_and_marked_for_reupload(change):
    cleartext = {
        "id": "abcdefghijkl",
        "type": "folder",
        "parentid": "menu",
        "title": "F",
        "children": [],
    }
    record = parse_record({**cleartext, **change}, modified=MODIFIED)
    assert record.validity is Validity.REUPLOAD and record.problems
    item = record.item
    assert item is not None and isinstance(item.title, str)
    assert all(isinstance(c, str) for c in item.children)
    assert len(item.children) == len(set(item.children))


@pytest.mark.parametrize(
    "cleartext",
    [
        "just a string",
        [],
        {"type": "bookmark"},
        {"id": 12, "type": "bookmark"},
        {"id": "abcdefghijkl", "type": "microsummary"},
        {"id": "abcdefghijkl"},
    ],
)
def test_unusable_records_raise_a_clear_error(cleartext):
    with pytest.raises(RecordError) as info:
        parse_record(cleartext, modified=MODIFIED)
    assert "record" in str(info.value)


def test_missing_parentid_is_an_orphan_not_an_error():
    record = parse_record({"id": "abcdefghijkl", "type": "separator"}, modified=MODIFIED)
    assert record.item is not None and record.item.parent == ""


def test_record_from_item_is_complete_for_firefox():
    folder = Item(
        "abcdefghijkl", Kind.FOLDER, "unfiled", "F", children=["c1", "c2"], date_added=1600000000000
    )
    record = record_from_item(folder, parent_title="Other Bookmarks")
    assert record == {
        "id": "abcdefghijkl",
        "type": "folder",
        "parentid": "unfiled",
        "parentName": "Other Bookmarks",
        "hasDupe": True,
        "dateAdded": 1600000000000,
        "title": "F",
        "children": ["c1", "c2"],
    }
    root = Item("mobile", Kind.FOLDER, "places", "Mobile Bookmarks")
    assert record_from_item(root, parent_title="")["parentid"] == "places"


def test_interpreted_fields_win_over_stale_extras():
    item = Item(
        "abcdefghijkl", Kind.BOOKMARK, "toolbar", "New", "https://new/", extra={"tags": ["t"]}
    )
    item.extra["title"] = "stale"  # never happens via parse_record, but must not leak
    assert record_from_item(item, parent_title="x")["title"] == "New"


def test_sortindex_follows_desktop():
    assert sortindex_for(Item("f", Kind.FOLDER, "menu")) == 1_000_000
    assert sortindex_for(Item("l", Kind.LIVEMARK, "toolbar")) == 1_000_000
    assert sortindex_for(Item("b", Kind.BOOKMARK, "toolbar", url="https://a/")) == 150
    assert sortindex_for(Item("s", Kind.SEPARATOR, "toolbar")) == 150
    assert sortindex_for(Item("b", Kind.BOOKMARK, "menu", url="https://a/")) == 0


def test_tombstone_record_shape():
    assert tombstone_record("abcdefghijkl") == {"id": "abcdefghijkl", "deleted": True}
