from daemon.sync.client import OutgoingRecord


async def test_roundtrip(client):
    ids = await client.engine_ids("bookmarks", version=2)
    assert ids.global_sync_id
    ts = await client.upload(
        "bookmarks",
        [OutgoingRecord("abcdefghijkl", {"type": "bookmark", "title": "x"})],
        if_unmodified_since=None,
    )
    got = await client.download("bookmarks")
    assert got.last_modified == ts
    assert got.records[0].cleartext["title"] == "x"
