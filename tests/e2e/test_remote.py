"""The server-side helper of the end-to-end tests, against the real local stack."""

from __future__ import annotations

from tests.e2e.remote import RemoteBookmarks


def test_set_up_then_write_and_read_records_as_firefox(stack_thread) -> None:
    stack_thread.stack.fxa.create_account("reader@example.com", "a long password")
    remote = RemoteBookmarks(stack_thread, "reader@example.com")
    assert remote.storage_uid is None
    remote.set_up()
    assert remote.storage_uid is not None
    assert set(remote.live()) == {"places", "menu", "toolbar", "unfiled", "mobile"}

    folder = remote.insert("toolbar", 0, title="News")
    first = remote.insert(folder, 0, title="One", url="https://one.example/")
    remote.insert(folder, 0, title="Zero", url="https://zero.example/")
    assert remote.children_titles(folder) == ["Zero", "One"]
    remote.move(first, "unfiled", 0)
    assert remote.children_titles("unfiled") == ["One"]
    assert remote.live()[first]["parentid"] == "unfiled"
    remote.rename(first, "Uno")
    assert remote.find(bmkUri="https://one.example/")[0]["title"] == "Uno"
    remote.delete(folder)
    assert remote.records()[folder] == {"id": folder, "deleted": True}
    assert remote.children_titles("toolbar") == []

    written = remote.insert_tree(
        "unfiled",
        [
            {
                "title": "F",
                "children": [{"title": f"b{i}", "url": f"https://b{i}.example/"} for i in range(3)],
            }
        ],
    )
    assert written == 5
    set_up_again = RemoteBookmarks(stack_thread, "reader@example.com")
    set_up_again.set_up()  # an account already set up is left as it is
    assert len(set_up_again.find(parentName="F")) == 3
