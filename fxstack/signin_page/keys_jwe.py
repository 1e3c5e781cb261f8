"""The account server's side of scoped keys: encrypt them to the client's ``keys_jwk``."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_keys_jwk(keys_jwk: str) -> ec.EllipticCurvePublicKey:
    """The client's public key from the ``keys_jwk`` query parameter; ValueError if bad."""
    try:
        jwk = json.loads(_b64url_decode(keys_jwk))
        if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
            raise ValueError("keys_jwk must be a P-256 EC key")
        x = int.from_bytes(_b64url_decode(jwk["x"]), "big")
        y = int.from_bytes(_b64url_decode(jwk["y"]), "big")
        return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError("invalid keys_jwk") from error


def encrypt_scoped_keys(keys: dict[str, Any], recipient: ec.EllipticCurvePublicKey) -> str:
    """Compact JWE: ECDH-ES (ephemeral P-256), Concat KDF, A256GCM."""
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    numbers = ephemeral.public_key().public_numbers()
    header = {
        "alg": "ECDH-ES",
        "enc": "A256GCM",
        "epk": {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        },
    }
    protected = _b64url(json.dumps(header, separators=(",", ":")).encode())
    shared = ephemeral.exchange(ec.ECDH(), recipient)
    enc = b"A256GCM"
    info = struct.pack(">I", len(enc)) + enc + struct.pack(">III", 0, 0, 256)
    cek = hashlib.sha256(struct.pack(">I", 1) + shared + info).digest()
    iv = os.urandom(12)
    sealed = AESGCM(cek).encrypt(iv, json.dumps(keys).encode(), protected.encode("ascii"))
    ciphertext, tag = sealed[:-16], sealed[-16:]
    return ".".join([protected, "", _b64url(iv), _b64url(ciphertext), _b64url(tag)])
