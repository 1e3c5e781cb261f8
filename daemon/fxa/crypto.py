"""The client's side of the onepw protocol and the Sync key derivation (pure, no I/O).

- ``stretch_v1``: email + password → authPW (sent to the server) and unwrapBKey (kept).
- ``token_keys``: a token from the server → its Hawk credentials (+ a third key).
- ``unwrap_key_bundle``: the ``/account/keys`` answer → kA, wrapKB (MAC checked first).
- ``derive_sync_key``: kB + keyRotationTimestamp → kSync and its X-KeyID.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from daemon.errors import AuthError
from daemon.fxa.credentials import SyncKey

NS = b"identity.mozilla.com/picl/v1/"
V1_ITERATIONS = 1000
V2_ITERATIONS = 650_000
V2_SALT_PREFIX = NS + b"quickStretchV2:"


class KeyBundleError(AuthError):
    """The keys from the server do not authenticate: corrupt or tampered with."""

    def __init__(self) -> None:
        super().__init__(
            "The keys sent by the account server failed their integrity check. "
            "Nothing was saved; please sign in again."
        )


def hkdf(ikm: bytes, info: bytes, length: int, salt: bytes = b"") -> bytes:
    """HKDF-SHA256; FxA uses an empty salt throughout."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


@dataclass(frozen=True, repr=False)
class StretchedPassword:
    auth_pw: bytes  # sent to the server, hex-encoded, as proof of the password
    unwrap_b_key: bytes  # never leaves the client: unwraps kB

    def __repr__(self) -> str:
        return "StretchedPassword(<secret>)"


def _derive(stretched: bytes) -> StretchedPassword:
    return StretchedPassword(
        auth_pw=hkdf(stretched, NS + b"authPW", 32),
        unwrap_b_key=hkdf(stretched, NS + b"unwrapBkey", 32),  # lower-case k, as specified
    )


def stretch_v1(email: str, password: str) -> StretchedPassword:
    """V1 "quickStretch": PBKDF2 (1000 rounds) salted with the email as the account stores it."""
    salt = NS + b"quickStretch:" + email.encode("utf-8")
    stretched = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, V1_ITERATIONS, 32)
    return _derive(stretched)


def stretch_v2(password: str, client_salt: str) -> StretchedPassword:
    """V2 stretching: PBKDF2 (650 000 rounds) salted with the account's ``clientSalt``."""
    salt = client_salt.encode("ascii")
    if not salt.startswith(V2_SALT_PREFIX):
        raise ValueError("not a V2 client salt")
    stretched = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, V2_ITERATIONS, 32)
    return _derive(stretched)


@dataclass(frozen=True, repr=False)
class TokenKeys:
    hawk_id: str  # hex of tokenId: the Hawk "id"
    hawk_key: bytes  # reqHMACkey
    extra: bytes  # the third 32 bytes: keyRequestKey for a keyFetchToken

    def __repr__(self) -> str:
        return "TokenKeys(<secret>)"


def token_keys(token: bytes, kind: str) -> TokenKeys:
    """Split HKDF(token, NS+kind, 96) into Hawk id, Hawk key and the third key."""
    okm = hkdf(token, NS + kind.encode("ascii"), 96)
    return TokenKeys(hawk_id=okm[:32].hex(), hawk_key=okm[32:64], extra=okm[64:96])


def unwrap_key_bundle(key_request_key: bytes, bundle: bytes) -> tuple[bytes, bytes]:
    """(kA, wrapKB) from an ``/account/keys`` bundle; raise ``KeyBundleError`` on a bad MAC."""
    if len(bundle) != 96:
        raise KeyBundleError
    okm = hkdf(key_request_key, NS + b"account/keys", 96)
    hmac_key, xor_key = okm[:32], okm[32:]
    ciphertext, mac = bundle[:64], bundle[64:]
    expected = hmac.new(hmac_key, ciphertext, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, mac):
        raise KeyBundleError
    plaintext = bytes(a ^ b for a, b in zip(ciphertext, xor_key, strict=True))
    return plaintext[:32], plaintext[32:]


def unwrap_kb(wrap_kb: bytes, unwrap_b_key: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(wrap_kb, unwrap_b_key, strict=True))


def derive_ksync(kb: bytes) -> bytes:
    """kSync = HKDF(kB, NS+"oldsync", 64): AES key ‖ HMAC key of the Sync root bundle."""
    return hkdf(kb, NS + b"oldsync", 64)


def key_id(kb: bytes, key_rotation_timestamp: int) -> str:
    """X-KeyID: the rotation timestamp (ms, verbatim) and a hash of kB."""
    digest = hashlib.sha256(kb).digest()[:16]
    return f"{key_rotation_timestamp}-" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def derive_sync_key(kb: bytes, key_rotation_timestamp: int) -> SyncKey:
    return SyncKey(ksync=derive_ksync(kb), kid=key_id(kb, key_rotation_timestamp))
