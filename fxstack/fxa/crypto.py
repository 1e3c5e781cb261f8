"""The server's side of the onepw protocol (pure).

Written independently of the client's ``daemon.fxa.crypto`` so that the two check each
other: a client bug that a shared helper would hide shows up as a failed sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NS = b"identity.mozilla.com/picl/v1/"


def hkdf(ikm: bytes, info: bytes, length: int, salt: bytes = b"") -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def client_stretch(email: str, password: str) -> tuple[bytes, bytes]:
    """(authPW, unwrapBKey) as a V1 client computes them; used only by test controls."""
    salt = NS + b"quickStretch:" + email.encode("utf-8")
    stretched = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 1000, 32)
    return hkdf(stretched, NS + b"authPW", 32), hkdf(stretched, NS + b"unwrapBkey", 32)


def client_stretch_v2(password: str, client_salt: str) -> tuple[bytes, bytes]:
    """(authPW, unwrapBKey) of the V2 stretch (650 000 rounds, the account's clientSalt)."""
    stretched = hashlib.pbkdf2_hmac(
        "sha256", password.encode("utf-8"), client_salt.encode("ascii"), 650_000, 32
    )
    return hkdf(stretched, NS + b"authPW", 32), hkdf(stretched, NS + b"unwrapBkey", 32)


def new_client_salt() -> str:
    return (NS + b"quickStretchV2:").decode("ascii") + secrets.token_hex(16)


def verify_hash(auth_pw: bytes, auth_salt: bytes) -> bytes:
    """What the server keeps instead of authPW (a salted one-way function of it)."""
    return hkdf(auth_pw, NS + b"verifyHash", 32, salt=auth_salt)


def password_matches(auth_pw: bytes, auth_salt: bytes, stored: bytes) -> bool:
    return hmac.compare_digest(verify_hash(auth_pw, auth_salt), stored)


def token_parts(token: bytes, kind: str) -> tuple[str, bytes, bytes]:
    """(Hawk id as hex, Hawk key, the third 32 bytes) of a token of ``kind``."""
    okm = hkdf(token, NS + kind.encode("ascii"), 96)
    return okm[:32].hex(), okm[32:64], okm[64:96]


def key_bundle(key_request_key: bytes, ka: bytes, wrap_kb: bytes) -> bytes:
    """The ``/account/keys`` bundle: (kA‖wrapKB) XOR respXORkey, then its HMAC."""
    okm = hkdf(key_request_key, NS + b"account/keys", 96)
    hmac_key, xor_key = okm[:32], okm[32:]
    ciphertext = bytes(a ^ b for a, b in zip(ka + wrap_kb, xor_key, strict=True))
    return ciphertext + hmac.new(hmac_key, ciphertext, hashlib.sha256).digest()


def new_token() -> bytes:
    return secrets.token_bytes(32)
