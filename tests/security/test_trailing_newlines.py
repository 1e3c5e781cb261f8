"""A trailing newline slips past ``^…$`` patterns (``$`` matches before it): every
identifier, token and code check must refuse ``"valid\\n"``."""

from __future__ import annotations

import pytest

from daemon.bookmarks.model import is_valid_guid
from daemon.fxa import wire
from daemon.fxa.errors import MalformedResponseError
from daemon.service.protocol import Request, Role, validate_call

HEX32 = "ab" * 32


def test_a_guid_with_a_newline_is_not_valid() -> None:
    assert is_valid_guid("abcdefghijkl")
    assert not is_valid_guid("abcdefghijkl\n")


@pytest.mark.parametrize(
    "answer",
    [
        {"uid": "a" * 31 + "\n", "sessionToken": HEX32, "keyFetchToken": HEX32, "verified": True},
        {"uid": "a" * 32, "sessionToken": HEX32[:-1] + "\n", "keyFetchToken": HEX32},
    ],
)
def test_hex_with_a_newline_is_a_malformed_answer(answer) -> None:
    # Once a ValueError from bytes.fromhex, not the documented error.
    with pytest.raises(MalformedResponseError):
        wire.LoginResult.parse(answer, keys=True)
    with pytest.raises(MalformedResponseError):
        wire.key_bundle({"bundle": "a" * 191 + "\n"})


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("snapshots.restore", {"id": "20261123T103259-e87ef7\n"}),
        ("hello", {"profile": {"id": "profile\n", "browser": "B", "name": "N"}, "version": "0"}),
        (
            "login.web.complete",
            {
                "state": "s" * 16,
                "code": "ab" * 32,
                "login": {"uid": "a" * 31 + "\n", "email": "a@b"},
            },
        ),
        ("login.web.complete", {"state": "s" * 16 + "\n", "code": "ab" * 32}),
        ("login.web.begin", {"client_id": "0123456789abcde\n"}),
    ],
)
def test_socket_params_with_a_newline_are_refused(method, params) -> None:
    from daemon.service.protocol import ProtocolError

    role = Role.EXTENSION if method != "hello" else Role.UNKNOWN
    with pytest.raises(ProtocolError) as raised:
        validate_call(Request("r1", method, params), role)
    assert raised.value.code == "bad-params"
