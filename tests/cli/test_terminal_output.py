"""What the CLI prints from the server or a browser cannot drive the terminal: control
characters and bidirectional overrides in titles, URLs and ids are shown as escapes."""

from __future__ import annotations

import asyncio

import pytest

from daemon.cli.text import printable
from daemon.sync.client import OutgoingRecord
from fxstack.faults import Fault
from tests.sync.test_cli import _create, file_keyring, foxbridge, sign_in_and_upload

__all__ = ["file_keyring"]  # a fixture these tests use

HOSTILE = {
    "type": "bookmark",
    "title": "Bank\x1b]0;owned\x07\x1b[2J\u202eknil",
    "bmkUri": "https://bank.example/\r\x1b[1A",
    "parentid": "toolbar",
}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain title", "plain title"),
        ("é 日本 👩\u200d💻", "é 日本 👩\u200d💻"),  # letters and emoji joiners stay
        ("a\x1b[31mb", "a\\x1b[31mb"),
        ("line\nbreak\ttab\r", "line\\x0abreak\\x09tab\\x0d"),
        ("\x9b2J", "\\x9b2J"),  # the one-byte CSI of C1
        ("\u202eevil\u2066", "\\u202eevil\\u2066"),
    ],
)
def test_printable_escapes_only_control_characters(text, shown):
    assert printable(text) == shown


def test_bookmarks_list_escapes_what_the_server_sent(stack_thread, foxbridge_home, file_keyring):
    stack_thread.call(_create(stack_thread))
    asyncio.run(sign_in_and_upload(stack_thread.url, [OutgoingRecord("hostile00001", HOSTILE)]))
    result = foxbridge("bookmarks", "list")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "\r" not in result.stdout
    assert (
        "hostile00001  bookmark  Bank\\x1b]0;owned\\x07\\x1b[2J\\u202eknil  "
        "https://bank.example/\\x0d\\x1b[1A"
    ) in result.stdout


@pytest.mark.parametrize("modified", [1e300, 1e12])
def test_collections_with_a_timestamp_beyond_the_calendar(
    stack_thread, foxbridge_home, file_keyring, modified
):
    """A far-future time from the server is shown as a number, not a traceback."""
    stack_thread.call(_create(stack_thread))
    asyncio.run(sign_in_and_upload(stack_thread.url, []))
    stack_thread.stack.faults.add(
        Fault("/storage/1.5/", method="GET", status=200, body={"bookmarks": modified})
    )
    result = foxbridge("collections")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("bookmarks  (a time beyond the calendar)  (")
