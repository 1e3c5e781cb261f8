"""Frames and chunks, without processes."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from host.framing import (
    BROWSER_HEADER,
    MAX_TO_BROWSER,
    SOCKET_HEADER,
    FramingError,
    encode_frame,
    encode_json,
    messages_for_browser,
    read_frame,
)


def reader(data: bytes):
    return io.BytesIO(data).read


def reassemble(messages: list[bytes]) -> object:
    """What the extension does with chunk messages."""
    chunks = [json.loads(m)["chunk"] for m in messages]
    assert [c["index"] for c in chunks] == list(range(len(chunks)))
    assert {c["count"] for c in chunks} == {len(chunks)}
    assert len({c["id"] for c in chunks}) == 1
    return json.loads("".join(c["data"] for c in chunks))


def test_socket_frames_are_little_endian_and_browser_frames_native() -> None:
    assert encode_frame(b"{}", SOCKET_HEADER) == b"\x02\x00\x00\x00{}"
    assert BROWSER_HEADER.format == "=I"


def test_read_frame_returns_frames_then_none_at_a_clean_end() -> None:
    read = reader(encode_frame(b'{"a":1}', SOCKET_HEADER) + encode_frame(b"[]", SOCKET_HEADER))
    assert read_frame(read, SOCKET_HEADER, 100, "daemon") == b'{"a":1}'
    assert read_frame(read, SOCKET_HEADER, 100, "daemon") == b"[]"
    assert read_frame(read, SOCKET_HEADER, 100, "daemon") is None


@pytest.mark.parametrize(
    "data", [b"\x05\x00", b"\x05\x00\x00\x00{}"], ids=["cut header", "cut body"]
)
def test_a_frame_cut_short_is_an_error(data: bytes) -> None:
    with pytest.raises(FramingError, match="in the middle of a message"):
        read_frame(reader(data), SOCKET_HEADER, 100, "daemon")


def test_a_frame_over_the_limit_is_refused_before_its_body_is_read() -> None:
    read = reader(SOCKET_HEADER.pack(101))  # no body at all: it must not be awaited
    with pytest.raises(FramingError, match="101 bytes; the limit is 100"):
        read_frame(read, SOCKET_HEADER, 100, "browser")


def test_a_message_up_to_one_mib_passes_unchanged() -> None:
    body = encode_json({"id": "d1", "result": "x" * (MAX_TO_BROWSER - 30)})
    body += b" " * (MAX_TO_BROWSER - len(body))  # exactly the limit
    assert list(messages_for_browser(body, "h1")) == [body]


def test_a_three_mib_message_arrives_in_chunks_that_reassemble() -> None:
    tree = {"id": "d7", "method": "tree.apply", "params": {"ops": ['é"\\\n' * 400_000]}}
    body = encode_json(tree)
    assert len(body) > 3 * 1024 * 1024
    messages = list(messages_for_browser(body, "h1"))
    assert len(messages) >= 4
    assert all(len(m) <= MAX_TO_BROWSER for m in messages)
    assert json.loads(messages[0])["chunk"]["id"] == "d7"
    assert reassemble(messages) == tree


def test_a_large_notification_gets_the_fallback_id() -> None:
    body = encode_json({"method": "status", "params": {"x": "y" * 2_000_000}})
    messages = list(messages_for_browser(body, "h9"))
    assert {json.loads(m)["chunk"]["id"] for m in messages} == {"h9"}


def test_a_large_daemon_message_that_is_not_json_is_an_error() -> None:
    with pytest.raises(FramingError, match="not UTF-8 JSON"):
        list(messages_for_browser(b"\xff" * (MAX_TO_BROWSER + 1), "h1"))


@settings(max_examples=15, deadline=None)
@given(
    text=st.text(
        alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Cc"]),
        min_size=1,
        max_size=50,
    )
)
def test_chunks_fit_and_reassemble_whatever_the_characters(text: str) -> None:
    # Repeat to pass the limit; control characters escape to six bytes each.
    message = {"id": "d1", "result": text * (MAX_TO_BROWSER // len(text) + 1)}
    messages = list(messages_for_browser(encode_json(message), "h1"))
    assert all(len(m) <= MAX_TO_BROWSER for m in messages)
    assert reassemble(messages) == message


def test_chunks_fit_even_with_a_long_id_full_of_escapes() -> None:
    message = {"id": '"\\' * 300, "result": "x" * (2 * MAX_TO_BROWSER)}
    messages = list(messages_for_browser(encode_json(message), "h1"))
    assert all(len(m) <= MAX_TO_BROWSER for m in messages)
    assert reassemble(messages) == message
