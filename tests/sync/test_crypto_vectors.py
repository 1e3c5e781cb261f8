"""Every Sync crypto vector of the spec, through daemon.sync.crypto and daemon.sync.hawk."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from daemon.sync.crypto import (
    CollectionKeys,
    KeyBundle,
    RecordCryptoError,
    decrypt_payload,
    encrypt_cleartext,
    hkdf_sha256,
    ksync_from_kb,
)
from daemon.sync.hawk import storage_authorization

VECTORS = Path("/work/shared/spec/vectors")
if not VECTORS.exists():  # a copy kept next to the tests
    VECTORS = Path(__file__).parent / "vectors"


def cases(name: str) -> list[dict]:
    return json.loads((VECTORS / f"{name}.json").read_text())["cases"]


def b64(text: str) -> bytes:
    return base64.b64decode(text)


@pytest.mark.parametrize("case", cases("sync-hkdf"), ids=lambda c: c["name"])
def test_hkdf(case):
    okm = hkdf_sha256(
        bytes.fromhex(case["ikm"]),
        salt=bytes.fromhex(case["salt"]),
        info=bytes.fromhex(case["info"]),
        length=case["L"],
    )
    assert okm.hex() == case["okm"]


@pytest.mark.parametrize("case", cases("sync-keybundle"))
def test_keybundle_from_ksync(case):
    if "kB" in case:
        assert ksync_from_kb(bytes.fromhex(case["kB"])).hex() == case["kSync"]
    bundle = KeyBundle.from_ksync(bytes.fromhex(case["kSync"]))
    assert bundle.to_b64_pair() == [case["encryption_key_b64"], case["hmac_key_b64"]]
    assert "secret" in repr(bundle) and case["encryption_key_b64"] not in repr(bundle)


def record_bundle(case: dict) -> KeyBundle:
    enc = case.get("encryption_key_b64") or case["collection_encryption_key_b64"]
    mac = case.get("hmac_key_b64") or case["collection_hmac_key_b64"]
    return KeyBundle(b64(enc), b64(mac))


@pytest.mark.parametrize("case", cases("sync-record-crypto"), ids=lambda c: c["name"])
def test_record_crypto(case):
    bundle = record_bundle(case)
    payload = json.dumps(case["payload"])
    if case.get("expect") == "hmac_mismatch":
        with pytest.raises(RecordCryptoError, match="HMAC"):
            decrypt_payload(payload, bundle)
        return
    cleartext = case["cleartext_utf8"]
    assert decrypt_payload(payload, bundle) == json.loads(cleartext)
    again = encrypt_cleartext(cleartext.encode(), bundle, iv=b64(case["payload"]["IV"]))
    assert again == case["payload"]


@pytest.mark.parametrize("case", cases("sync-bookmark-record"), ids=lambda c: c["kind"])
def test_bookmark_records(case):
    bundle = record_bundle(case)
    bso = json.loads(case["bso_json"])
    assert decrypt_payload(bso["payload"], bundle) == json.loads(case["cleartext_utf8"])
    again = encrypt_cleartext(case["cleartext_utf8"].encode(), bundle, iv=b64(case["iv_b64"]))
    assert again == case["payload"]


@pytest.mark.parametrize("case", cases("sync-crypto-keys"))
def test_crypto_keys(case):
    root = KeyBundle.from_ksync(bytes.fromhex(case["kSync"]))
    bso = json.loads(case["bso_json"])
    keys = CollectionKeys.decrypt(bso["payload"], root)
    assert keys.to_cleartext() == json.loads(case["cleartext_utf8"])
    assert keys.for_collection("bookmarks") is keys.default
    again = encrypt_cleartext(case["cleartext_utf8"].encode(), root, iv=b64(case["iv_b64"]))
    assert again == case["payload"]
    with pytest.raises(RecordCryptoError):
        CollectionKeys.decrypt(bso["payload"], KeyBundle.random())


HAWK = json.loads((VECTORS / "sync-hawk-storage.json").read_text())


def hawk_fields(header: str) -> dict[str, str]:
    assert header.startswith("Hawk ")
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


@pytest.mark.parametrize("case", HAWK["cases"], ids=lambda c: c["method"])
def test_hawk_storage(case):
    scheme = "https" if case["port"] == 443 else "http"
    url = f"{scheme}://{case['host']}{case['path_and_query']}"
    body = case["body"].encode() if case["body"] is not None else None
    header = storage_authorization(
        HAWK["token"]["id"],
        HAWK["token"]["key"],
        case["method"],
        url,
        timestamp=HAWK["ts"],
        body=body,
        content_type=case["content_type"] or "application/json",
        nonce=HAWK["nonce"],
    )
    assert hawk_fields(header) == hawk_fields(case["authorization"])
    assert hawk_fields(header)["mac"] == case["mac_b64"]
    if case["payload_hash_b64"]:
        assert hawk_fields(header)["hash"] == case["payload_hash_b64"]


def test_encrypt_roundtrip_and_tampering():
    bundle = KeyBundle.random()
    envelope = encrypt_cleartext(b'{"id":"abc"}', bundle)
    assert decrypt_payload(json.dumps(envelope), bundle) == {"id": "abc"}
    envelope["hmac"] = envelope["hmac"].upper()  # hex case does not matter
    assert decrypt_payload(json.dumps(envelope), bundle) == {"id": "abc"}
    ciphertext = envelope["ciphertext"]
    tampered = ("B" if ciphertext[0] == "A" else "A") + ciphertext[1:]
    for broken in ("not json", "[]", json.dumps({**envelope, "ciphertext": tampered})):
        with pytest.raises(RecordCryptoError):
            decrypt_payload(broken, bundle)
    assert base64.b64decode(envelope["IV"]) != bytes(16)


def test_bad_padding_behind_a_valid_hmac_is_refused():
    import hashlib
    import hmac

    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    bundle = KeyBundle.random()
    iv = bytes(range(1, 17))
    encryptor = Cipher(algorithms.AES(bundle.encryption_key), modes.CBC(iv)).encryptor()
    ciphertext = base64.b64encode(encryptor.update(b"{}" + bytes(14)) + encryptor.finalize())
    mac = hmac.new(bundle.hmac_key, ciphertext, hashlib.sha256).hexdigest()
    envelope = {"ciphertext": ciphertext.decode(), "IV": base64.b64encode(iv).decode(), "hmac": mac}
    with pytest.raises(RecordCryptoError, match="does not decrypt"):
        decrypt_payload(json.dumps(envelope), bundle)
