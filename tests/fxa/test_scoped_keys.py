"""keys_jwe decryption and PKCE against the published vectors, and tampered inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from daemon.errors import AuthError
from daemon.fxa.scoped_keys import (
    OLDSYNC_SCOPE,
    WebSignInFlow,
    b64url,
    b64url_decode,
    decrypt_keys_jwe,
    pkce_challenge,
    sync_key_from_scoped_keys,
)

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "spec" / "vectors"


def _vector(name: str) -> dict:
    path = VECTORS / name
    if not path.exists():
        pytest.skip(f"spec vectors not found at {VECTORS}")
    return json.loads(path.read_text())["cases"][0]


def _text(hex_utf8: str) -> str:
    return bytes.fromhex(hex_utf8).decode()


def _recipient(case: dict) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int(case["recipient_d"], 16), ec.SECP256R1())


def test_pkce_challenge_matches_rfc7636_vector() -> None:
    case = _vector("pkce.json")
    assert pkce_challenge(_text(case["code_verifier_utf8"])) == _text(case["code_challenge_utf8"])


def test_keys_jwe_vector_decrypts_to_the_published_sync_key() -> None:
    case = _vector("keys-jwe.json")
    keys = decrypt_keys_jwe(_text(case["jwe_utf8"]), _recipient(case))
    assert keys == json.loads(_text(case["plaintext_utf8"]))
    sync_key = sync_key_from_scoped_keys(keys)
    assert len(sync_key.ksync) == 64
    assert sync_key.kid == keys[OLDSYNC_SCOPE]["kid"]


def test_keys_jwk_is_the_public_half_of_the_recipient_key() -> None:
    case = _vector("keys-jwe.json")
    flow = WebSignInFlow(private_key=_recipient(case))
    assert flow.keys_jwk == _text(case["keys_jwk_utf8"])


@pytest.mark.parametrize("part", [0, 2, 3, 4])
def test_a_tampered_keys_jwe_is_refused(part: int) -> None:
    case = _vector("keys-jwe.json")
    pieces = _text(case["jwe_utf8"]).split(".")
    raw = bytearray(b64url_decode(pieces[part]))
    raw[len(raw) // 2] ^= 0x01
    pieces[part] = b64url(bytes(raw))
    with pytest.raises(AuthError):
        decrypt_keys_jwe(".".join(pieces), _recipient(case))


def test_a_keys_jwe_for_another_key_is_refused() -> None:
    case = _vector("keys-jwe.json")
    with pytest.raises(AuthError, match="do not decrypt"):
        decrypt_keys_jwe(_text(case["jwe_utf8"]), ec.generate_private_key(ec.SECP256R1()))


DEEP_HEADER = b64url(b"[" * 20_000) + ".." + ".".join(b64url(bytes(n)) for n in (12, 1, 16))


@pytest.mark.parametrize("garbage", ["", "a.b.c", "x" * 10, "....", None, DEEP_HEADER])
def test_malformed_keys_jwe_is_a_clear_error(garbage: object) -> None:
    with pytest.raises(AuthError):
        decrypt_keys_jwe(garbage, ec.generate_private_key(ec.SECP256R1()))  # type: ignore[arg-type]


def _entry(**overrides: object) -> dict:
    entry = {"kty": "oct", "scope": OLDSYNC_SCOPE, "k": b64url(bytes(64)), "kid": "1510-abcd"}
    entry.update(overrides)
    return {OLDSYNC_SCOPE: entry}


@pytest.mark.parametrize(
    "keys",
    [
        {},
        _entry(kty="EC"),
        _entry(scope="profile"),
        _entry(kid="0-abcd"),
        _entry(kid="abcd"),
        _entry(k=b64url(bytes(32))),
        _entry(k="not base64!"),
    ],
)
def test_scoped_keys_are_validated_like_firefox(keys: dict) -> None:
    with pytest.raises(AuthError):
        sync_key_from_scoped_keys(keys)


def test_flow_parameters_carry_pkce_and_the_public_key_only() -> None:
    flow = WebSignInFlow()
    params = flow.authorization_params("0123456789abcdef")
    assert params["code_challenge"] == pkce_challenge(flow.verifier)
    assert len(params["code_challenge"]) == 43
    assert flow.verifier not in json.dumps(params)
    assert set(json.loads(b64url_decode(params["keys_jwk"]))) == {"crv", "kty", "x", "y"}
    assert flow.matches(params["state"]) and not flow.matches("other")
    assert flow.verifier not in repr(flow)
