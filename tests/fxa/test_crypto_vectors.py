"""The client's onepw and Sync key derivations reproduce every published vector."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from mohawk.util import parse_authorization_header

from daemon.fxa import crypto, hawk

VECTORS = Path("/work/shared/spec/vectors")


def load(name: str) -> dict[str, Any]:
    path = VECTORS / f"{name}.json"
    if not path.exists():
        pytest.skip(f"test vectors not available at {path}")
    return json.loads(path.read_text())


def text(hex_utf8: str) -> str:
    return bytes.fromhex(hex_utf8).decode("utf-8")


@pytest.mark.parametrize("case", load("onepw-stretch-v1")["cases"])
def test_stretch_v1(case: dict[str, Any]) -> None:
    stretched = crypto.stretch_v1(text(case["email_utf8"]), text(case["password_utf8"]))
    assert stretched.auth_pw.hex() == case["authPW"]
    assert stretched.unwrap_b_key.hex() == case["unwrapBKey"]


@pytest.mark.parametrize("case", load("onepw-stretch-v2")["cases"])
def test_stretch_v2(case: dict[str, Any]) -> None:
    stretched = crypto.stretch_v2(text(case["password_utf8"]), text(case["clientSalt_utf8"]))
    assert stretched.auth_pw.hex() == case["authPW"]
    assert stretched.unwrap_b_key.hex() == case["unwrapBKey"]


def test_stretch_v2_rejects_a_foreign_salt() -> None:
    with pytest.raises(ValueError):
        crypto.stretch_v2("password", "somebody-else's-salt")


KEYFETCH = load("onepw-keyfetch")["cases"]


@pytest.mark.parametrize("case", [c for c in KEYFETCH if "keyFetchToken" in c])
def test_key_fetch_token_keys(case: dict[str, Any]) -> None:
    keys = crypto.token_keys(bytes.fromhex(case["keyFetchToken"]), "keyFetchToken")
    assert keys.hawk_id == case["tokenId"]
    assert keys.hawk_key.hex() == case["reqHMACkey"]
    assert keys.extra.hex() == case["keyRequestKey"]


@pytest.mark.parametrize("case", KEYFETCH)
def test_unwrap_key_bundle(case: dict[str, Any]) -> None:
    ka, wrap_kb = crypto.unwrap_key_bundle(
        bytes.fromhex(case["keyRequestKey"]), bytes.fromhex(case["bundle"])
    )
    assert ka.hex() == case["kA"]
    assert wrap_kb.hex() == case["wrapKB"]
    if "kB" in case:
        assert crypto.unwrap_kb(wrap_kb, bytes.fromhex(case["unwrapBKey"])).hex() == case["kB"]


@pytest.mark.parametrize("flip", [0, 63, 64, 95])
def test_a_bundle_with_any_flipped_bit_is_refused(flip: int) -> None:
    case = KEYFETCH[0]
    bundle = bytearray.fromhex(case["bundle"])
    bundle[flip] ^= 0x80
    with pytest.raises(crypto.KeyBundleError) as raised:
        crypto.unwrap_key_bundle(bytes.fromhex(case["keyRequestKey"]), bytes(bundle))
    assert case["kA"] not in str(raised.value)


def test_a_truncated_bundle_is_refused() -> None:
    case = KEYFETCH[0]
    with pytest.raises(crypto.KeyBundleError):
        crypto.unwrap_key_bundle(bytes.fromhex(case["keyRequestKey"]), b"\0" * 95)


HAWK = load("hawk")


@pytest.mark.parametrize("case", HAWK["token_cases"])
def test_session_token_keys(case: dict[str, Any]) -> None:
    keys = crypto.token_keys(bytes.fromhex(case["sessionToken"]), "sessionToken")
    assert keys.hawk_id == case["tokenId"]
    assert keys.hawk_key.hex() == case["reqHMACkey"]
    assert keys.extra.hex() == case["third_32_bytes"]
    assert text(case["bearer_header_utf8"]) == f"Bearer fxs_{keys.hawk_id}"


@pytest.mark.parametrize("case", HAWK["cases"])
def test_hawk_header(case: dict[str, Any]) -> None:
    keys = crypto.TokenKeys(
        hawk_id=text(case["id_utf8"]), hawk_key=bytes.fromhex(case["key"]), extra=b""
    )
    header = hawk.authorization(
        keys,
        text(case["method_utf8"]),
        text(case["url_utf8"]),
        bytes.fromhex(case["payload"]),
        content_type=text(case["content_type_utf8"]),
        nonce=text(case["nonce_utf8"]),
        timestamp=case["ts"],
    )
    # Same attributes and MAC; the order of attributes in a Hawk header carries no meaning.
    assert parse_authorization_header(header) == parse_authorization_header(
        text(case["authorization_header_utf8"])
    )


def test_hawk_applies_the_clock_offset() -> None:
    keys = crypto.token_keys(b"\1" * 32, "sessionToken")
    header = hawk.authorization(keys, "GET", "https://example.net/v1/x", clock_offset=-(10**6))
    ts = int(parse_authorization_header(header)["ts"])
    assert abs(ts - (time.time() - 10**6)) < 5
    assert "hash=" not in header  # a GET carries no payload hash


@pytest.mark.parametrize("case", load("ksync-keyid")["cases"])
def test_ksync_and_key_id(case: dict[str, Any]) -> None:
    kb = bytes.fromhex(case["kB"])
    assert crypto.derive_ksync(kb).hex() == case["kSync"]
    assert crypto.key_id(kb, case["keyRotationTimestamp"]) == text(case["x_keyid_utf8"])
    key = crypto.derive_sync_key(kb, case["keyRotationTimestamp"])
    assert key.encryption_key.hex() == case["kSync_encryption_key"]
    assert key.hmac_key.hex() == case["kSync_hmac_key"]
    assert case["kSync"] not in repr(key)
