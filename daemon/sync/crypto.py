"""Sync record encryption (pure logic, no I/O).

Every record except ``meta/global`` is encrypted with a key bundle: AES-256-CBC under
the bundle's encryption key, then HMAC-SHA256 under its HMAC key. The MAC covers the
*base64 text* of the ciphertext (not the raw bytes, not the IV) and is checked in
constant time before anything is decrypted. ``crypto/keys`` is encrypted with the
root bundle derived from kSync; every other collection uses a bundle from
``crypto/keys``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from daemon.errors import FoxbridgeError

KEY_BYTES = 32
IV_BYTES = 16
OLDSYNC_INFO = b"identity.mozilla.com/picl/v1/oldsync"


class RecordCryptoError(FoxbridgeError):
    """A record that fails its HMAC check, does not decrypt, or is not valid JSON."""


def hkdf_sha256(ikm: bytes, *, salt: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 HKDF with SHA-256; an empty salt means HashLen zero bytes."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt or None, info=info).derive(ikm)


def ksync_from_kb(kb: bytes) -> bytes:
    """kSync, the 64-byte root key of Sync, from the account's kB (legacy derivation)."""
    return hkdf_sha256(kb, salt=b"", info=OLDSYNC_INFO, length=64)


@dataclass(frozen=True, repr=False)
class KeyBundle:
    """An AES-256 key and an HMAC-SHA256 key. Never printed."""

    encryption_key: bytes = field(repr=False)
    hmac_key: bytes = field(repr=False)
    # Keyed once per bundle, not once per record: key setup was most of a record's cost.
    _aes: algorithms.AES = field(init=False, repr=False, compare=False)
    _hmac: hmac.HMAC = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.encryption_key) != KEY_BYTES or len(self.hmac_key) != KEY_BYTES:
            raise ValueError("a key bundle holds two 32-byte keys")
        object.__setattr__(self, "_aes", algorithms.AES(self.encryption_key))
        object.__setattr__(self, "_hmac", hmac.new(self.hmac_key, digestmod=hashlib.sha256))

    def cipher(self, iv: bytes) -> Cipher:
        """AES-256-CBC under this bundle's encryption key."""
        return Cipher(self._aes, modes.CBC(iv))

    def mac(self, ciphertext_b64: str) -> str:
        """The record HMAC of a ciphertext's base64 text, in hex."""
        mac = self._hmac.copy()
        mac.update(ciphertext_b64.encode("ascii"))
        return mac.hexdigest()

    def __repr__(self) -> str:
        return "KeyBundle(<secret>)"

    @classmethod
    def from_ksync(cls, ksync: bytes) -> KeyBundle:
        if len(ksync) != 2 * KEY_BYTES:
            raise ValueError("kSync must be 64 bytes")
        return cls(ksync[:KEY_BYTES], ksync[KEY_BYTES:])

    @classmethod
    def random(cls) -> KeyBundle:
        return cls(os.urandom(KEY_BYTES), os.urandom(KEY_BYTES))

    @classmethod
    def from_b64_pair(cls, pair: object) -> KeyBundle:
        """A ``[enc, hmac]`` pair of standard base64 keys, as in crypto/keys."""
        if not isinstance(pair, list) or len(pair) != 2:
            raise RecordCryptoError("crypto/keys holds a malformed key pair")
        try:
            keys = [base64.b64decode(item, validate=True) for item in pair]
            return cls(keys[0], keys[1])
        except (TypeError, ValueError, binascii.Error) as error:
            raise RecordCryptoError("crypto/keys holds a malformed key pair") from error

    def to_b64_pair(self) -> list[str]:
        return [_b64(self.encryption_key), _b64(self.hmac_key)]

    def fingerprint(self) -> str:
        """A short, non-secret name for this bundle (to notice that keys changed)."""
        digest = hashlib.sha256(b"foxbridge key fingerprint\n" + self.encryption_key)
        digest.update(self.hmac_key)
        return digest.hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def encrypt_cleartext(cleartext: bytes, bundle: KeyBundle, *, iv: bytes | None = None) -> dict:
    """Encrypt bytes into the ``{"ciphertext", "IV", "hmac"}`` envelope."""
    if iv is None:
        iv = os.urandom(IV_BYTES)
        while not any(iv):  # servers reject an all-zero IV
            iv = os.urandom(IV_BYTES)
    if len(iv) != IV_BYTES:
        raise ValueError("the IV must be 16 bytes")
    pad = 16 - len(cleartext) % 16  # PKCS#7
    padded = cleartext + bytes([pad]) * pad
    encryptor = bundle.cipher(iv).encryptor()
    ciphertext_b64 = _b64(encryptor.update(padded) + encryptor.finalize())
    return {"ciphertext": ciphertext_b64, "IV": _b64(iv), "hmac": bundle.mac(ciphertext_b64)}


def decrypt_envelope(envelope: object, bundle: KeyBundle) -> bytes:
    """Check the HMAC, then decrypt. Raises ``RecordCryptoError`` on any problem."""
    if not isinstance(envelope, dict):
        raise RecordCryptoError("the payload is not an encrypted record")
    ciphertext_b64 = envelope.get("ciphertext")
    iv_b64 = envelope.get("IV")
    mac_hex = envelope.get("hmac")
    if not (isinstance(ciphertext_b64, str) and isinstance(iv_b64, str)) or not isinstance(
        mac_hex, str
    ):
        raise RecordCryptoError("the payload lacks ciphertext, IV or hmac")
    if not ciphertext_b64.isascii():
        raise RecordCryptoError("the ciphertext is not base64")
    expected = bundle.mac(ciphertext_b64)
    # Hex case does not matter (Firefox writes lower case; readers accept either).
    if not hmac.compare_digest(
        expected.encode("ascii"), mac_hex.lower().encode("ascii", "replace")
    ):
        raise RecordCryptoError("the record failed its HMAC check")
    try:
        iv = binascii.a2b_base64(iv_b64, strict_mode=True)
        ciphertext = binascii.a2b_base64(ciphertext_b64, strict_mode=True)
        if len(iv) != IV_BYTES or not ciphertext or len(ciphertext) % 16:
            raise ValueError("bad sizes")
        decryptor = bundle.cipher(iv).decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        # PKCS#7; no padding oracle here, since the HMAC was verified first.
        pad = padded[-1]
        if not 1 <= pad <= 16 or padded[-pad:] != bytes([pad]) * pad:
            raise ValueError("bad padding")
        return padded[:-pad]
    except (ValueError, binascii.Error) as error:
        raise RecordCryptoError("the record does not decrypt") from error


def encrypt_payload(cleartext: dict[str, Any], bundle: KeyBundle) -> str:
    """A BSO ``payload``: the JSON text of the encrypted envelope of ``cleartext``."""
    text = json.dumps(cleartext, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(encrypt_cleartext(text.encode("utf-8"), bundle))


def decrypt_payload(payload: str, bundle: KeyBundle) -> dict[str, Any]:
    """The cleartext object of a BSO ``payload``."""
    try:
        envelope = json.loads(payload)
    except (TypeError, ValueError, RecursionError) as error:
        raise RecordCryptoError("the payload is not JSON") from error
    plain = decrypt_envelope(envelope, bundle)
    try:
        cleartext = json.loads(plain.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise RecordCryptoError("the decrypted record is not JSON") from error
    if not isinstance(cleartext, dict):
        raise RecordCryptoError("the decrypted record is not a JSON object")
    return cleartext


@dataclass(frozen=True, repr=False)
class CollectionKeys:
    """The content of ``crypto/keys``: a default bundle and per-collection overrides."""

    default: KeyBundle
    collections: dict[str, KeyBundle] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"CollectionKeys(overrides={sorted(self.collections)})"

    @classmethod
    def generate(cls) -> CollectionKeys:
        return cls(KeyBundle.random())

    def for_collection(self, collection: str) -> KeyBundle:
        return self.collections.get(collection, self.default)

    def to_cleartext(self) -> dict[str, Any]:
        return {
            "id": "keys",
            "collection": "crypto",
            "default": self.default.to_b64_pair(),
            "collections": {name: b.to_b64_pair() for name, b in self.collections.items()},
        }

    @classmethod
    def from_cleartext(cls, cleartext: dict[str, Any]) -> CollectionKeys:
        overrides = cleartext.get("collections") or {}
        if not isinstance(overrides, dict):
            raise RecordCryptoError("crypto/keys has a malformed 'collections' field")
        return cls(
            KeyBundle.from_b64_pair(cleartext.get("default")),
            {str(name): KeyBundle.from_b64_pair(pair) for name, pair in overrides.items()},
        )

    def encrypt(self, root: KeyBundle) -> str:
        return encrypt_payload(self.to_cleartext(), root)

    @classmethod
    def decrypt(cls, payload: str, root: KeyBundle) -> CollectionKeys:
        return cls.from_cleartext(decrypt_payload(payload, root))

    def fingerprint(self) -> str:
        parts = [self.default.fingerprint()]
        parts += [f"{name}:{b.fingerprint()}" for name, b in sorted(self.collections.items())]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
