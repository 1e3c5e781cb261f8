"""The message envelope and the per-method parameter checks of docs/ipc.md."""

from __future__ import annotations

import json

import pytest

from daemon.service import protocol
from daemon.service.protocol import (
    ErrorCode,
    Notification,
    ProtocolError,
    Request,
    Response,
    Role,
)


def parse(obj: object) -> protocol.Message:
    return protocol.parse_message(json.dumps(obj).encode())


def test_the_three_shapes_parse() -> None:
    assert parse({"id": "e1", "method": "status", "params": {}}) == Request("e1", "status", {})
    assert parse({"method": "status", "params": {"a": 1}}) == Notification("status", {"a": 1})
    assert parse({"id": "d1", "result": {"tree": []}}) == Response("d1", result={"tree": []})
    answer = parse({"id": "d2", "error": {"code": "x", "message": "m"}})
    assert answer == Response("d2", error={"code": "x", "message": "m", "data": {}})


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (b"\xff\xfe", "not UTF-8"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"id": 5, "method": "status"}', "message id"),
        (b'{"id": "", "method": "status"}', "message id"),
        (b'{"id": "e1", "method": 3}', "'method'"),
        (b'{"id": "e1", "method": "status", "params": []}', "'params'"),
        (b'{"result": 1}', "needs an id"),
        (b'{"id": "d1", "result": 1, "error": {}}', "exactly one"),
        (b'{"id": "d1", "error": {"code": 1}}', "string 'code'"),
    ],
)
def test_malformed_messages_are_refused_with_a_clear_reason(payload: bytes, fragment: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        protocol.parse_message(payload)
    assert caught.value.code == ErrorCode.BAD_REQUEST
    assert fragment in caught.value.message


def test_a_malformed_request_keeps_its_id_so_it_can_be_answered() -> None:
    with pytest.raises(ProtocolError) as caught:
        protocol.parse_message(b'{"id": "e9", "method": "status", "params": 1}')
    assert caught.value.request_id == "e9"


def test_frames_are_little_endian_length_then_utf8_json() -> None:
    frame = protocol.encode_frame({"method": "status", "params": {"é": 1}})
    length = int.from_bytes(frame[:4], "little")
    assert length == len(frame) - 4
    assert json.loads(frame[4:].decode("utf-8")) == {"method": "status", "params": {"é": 1}}
    assert protocol.frame_length(frame[:4]) == length


def test_an_oversize_message_is_refused_before_it_is_sent() -> None:
    big = {"method": "x", "params": {"blob": "a" * (protocol.MAX_FRAME_BYTES + 1)}}
    with pytest.raises(ProtocolError) as caught:
        protocol.encode_frame(big)
    assert caught.value.code == ErrorCode.TOO_LARGE


def validate(method: str, params: dict, role: Role = Role.EXTENSION, request_id: str | None = "e1"):
    message = Request(request_id, method, params) if request_id else Notification(method, params)
    return protocol.validate_call(message, role)


def test_unknown_methods_get_their_own_code() -> None:
    with pytest.raises(ProtocolError) as caught:
        validate("tree.delete_everything", {})
    assert caught.value.code == ErrorCode.UNKNOWN_METHOD
    assert caught.value.request_id == "e1"


def test_notifications_and_requests_are_not_interchangeable() -> None:
    with pytest.raises(ProtocolError, match="notification"):
        validate("bookmarks.changed", {"events": []})
    with pytest.raises(ProtocolError, match="needs an id"):
        validate("status", {}, request_id=None)


def test_browser_methods_need_a_profile_hello_first() -> None:
    events = {"events": [{"type": "created", "id": "5", "at": 1}]}
    with pytest.raises(ProtocolError) as caught:
        validate("bookmarks.changed", events, role=Role.CLI, request_id=None)
    assert caught.value.code == ErrorCode.WRONG_ROLE
    assert validate("bookmarks.changed", events, request_id=None)["events"][0]["id"] == "5"


def test_hello_from_a_browser_profile_and_from_the_cli() -> None:
    hello = validate("hello", {"profile": {"id": "p-1", "browser": "Chrome", "name": "Work"}})
    assert hello["role"] == Role.EXTENSION
    assert hello["profile"] == {"id": "p-1", "browser": "Chrome", "name": "Work"}
    assert validate("hello", {"role": "cli", "version": "0.1"}) == {"role": "cli", "version": "0.1"}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"profile": "p1"},
        {"profile": {"id": ""}},
        {"profile": {"id": "../../etc"}},
        {"profile": {"id": "p1", "colour": "red"}},
        {"role": "cli", "profile": {"id": "p1"}},
        {"role": "root"},
    ],
)
def test_bad_hellos_are_refused(params: dict) -> None:
    with pytest.raises(ProtocolError) as caught:
        validate("hello", params)
    assert caught.value.code == ErrorCode.BAD_PARAMS


def test_login_password_checks_email_and_never_echoes_the_password() -> None:
    ok = validate("login.password", {"email": "a@example.com", "password": "hunter2"})
    assert ok["email"] == "a@example.com" and ok["server"] is None
    with pytest.raises(ProtocolError, match="email address"):
        validate("login.password", {"email": "not-an-email", "password": "hunter2"})
    with pytest.raises(ProtocolError) as caught:
        validate("login.password", {"email": "a@example.com", "password": 12345678})
    assert "12345678" not in caught.value.message
    with pytest.raises(ProtocolError, match="Unknown parameter"):
        validate("login.password", {"email": "a@example.com", "password": "x", "remember": True})


def test_login_code_is_letters_and_digits() -> None:
    assert validate("login.code", {"code": " 123456 "}) == {"code": "123456"}
    for bad in ("12", "12 34 56", 123456, "x" * 40):
        with pytest.raises(ProtocolError):
            validate("login.code", {"code": bad})


def test_change_events_are_checked_one_by_one() -> None:
    events = [{"type": "created", "id": "12", "at": 1700000000000}, {"type": "import-begin"}]
    checked = validate("bookmarks.changed", {"events": events}, request_id=None)
    assert checked["events"][1] == {"type": "import-begin", "id": None, "at": 0}
    for bad in ([{"type": "exploded"}], [{"type": "created", "at": -1}], "created"):
        with pytest.raises(ProtocolError):
            validate("bookmarks.changed", {"events": bad}, request_id=None)


def test_settings_set_refuses_unknown_keys_and_bad_values_instead_of_guessing() -> None:
    assert validate("settings.set", {"sync_interval": 120, "paused": True}) == {
        "sync_interval": 120,
        "paused": True,
    }
    assert validate("settings.set", {"menu_placement": "hidden"}) == {"menu_placement": "hidden"}
    for bad in (
        {},
        {"sync_interval": 5},
        {"sync_interval": "60"},
        {"sync_interval": True},
        {"brake_max_share": 2},
        {"menu_placement": "sideways"},
        {"password": "x"},
    ):
        with pytest.raises(ProtocolError) as caught:
            validate("settings.set", bad)
        assert caught.value.code == ErrorCode.BAD_PARAMS


def test_snapshot_ids_cannot_name_paths() -> None:
    assert validate("snapshots.restore", {"id": "20261123T084500-1"}) == {"id": "20261123T084500-1"}
    with pytest.raises(ProtocolError):
        validate("snapshots.restore", {"id": "../state.sqlite"})


def test_daemon_request_ids_never_collide_with_the_extensions() -> None:
    ids = protocol.RequestIds()
    assert [ids.next(), ids.next()] == ["d1", "d2"]


def test_expected_failures_map_to_codes_by_their_exit_status() -> None:
    from daemon.errors import AuthError, FoxbridgeError, NetworkError, NotSignedInError

    assert protocol.error_for(NotSignedInError()).code == "not-signed-in"
    assert protocol.error_for(AuthError("Wrong password.")).code == "auth"
    assert protocol.error_for(NetworkError("Offline.")).code == "network"
    assert protocol.error_for(FoxbridgeError("Something else.")).code == "failed"
    answer = protocol.error("e1", protocol.error_for(AuthError("Wrong password.")))
    assert answer == {
        "id": "e1",
        "error": {"code": "auth", "message": "Wrong password.", "data": {}},
    }
