"""The OAuth side of signing in through the account server's own page (pure logic).

The page never hands us the password or kB. Instead, we start an authorization-code flow
with PKCE and an ephemeral P-256 public key (``keys_jwk``); the page returns a one-time
code, and the token endpoint returns the sync key encrypted to that public key
(``keys_jwe``: compact JWE, ECDH-ES key agreement, A256GCM). Only the daemon holds the
private key, and only in memory, for the length of one sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from daemon.errors import AuthError
from daemon.fxa.credentials import SyncKey

OLDSYNC_SCOPE = "https://identity.mozilla.com/apps/oldsync"
PROFILE_SCOPE = "profile"
_KID_RE = re.compile(r"^(\d+)-([A-Za-z0-9_-]+)\Z")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pkce_challenge(verifier: str) -> str:
    """S256: base64url(SHA-256(ASCII verifier)), RFC 7636."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    return {
        "crv": "P-256",
        "kty": "EC",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


@dataclass(repr=False)
class WebSignInFlow:
    """One pending sign-in: everything the completion needs, held in memory only."""

    state: str = field(default_factory=lambda: b64url(secrets.token_bytes(16)))
    verifier: str = field(default_factory=lambda: b64url(secrets.token_bytes(32)))
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    @property
    def code_challenge(self) -> str:
        return pkce_challenge(self.verifier)

    @property
    def keys_jwk(self) -> str:
        """The public key as the page expects it: base64url of the JWK's JSON."""
        jwk = public_jwk(self.private_key.public_key())
        return b64url(json.dumps(jwk, separators=(",", ":")).encode())

    def matches(self, state: str) -> bool:
        return hmac.compare_digest(self.state.encode(), str(state).encode())

    def authorization_params(self, client_id: str) -> dict[str, str]:
        """Query parameters for the account page (``context=oauth_webchannel_v1``)."""
        return {
            "context": "oauth_webchannel_v1",
            "action": "email",
            "service": "sync",
            "response_type": "code",
            "access_type": "offline",
            "client_id": client_id,
            "scope": f"{OLDSYNC_SCOPE} {PROFILE_SCOPE}",
            "state": self.state,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
            "keys_jwk": self.keys_jwk,
        }

    def decrypt_sync_key(self, keys_jwe: str) -> SyncKey:
        return sync_key_from_scoped_keys(decrypt_keys_jwe(keys_jwe, self.private_key))


def _concat_kdf(shared_secret: bytes, enc: str) -> bytes:
    """JWA Concat KDF for direct ECDH-ES: one SHA-256 round, AlgorithmID = ``enc``."""
    algorithm = enc.encode("ascii")
    info = (
        struct.pack(">I", len(algorithm))
        + algorithm
        + struct.pack(">I", 0)  # PartyUInfo: empty
        + struct.pack(">I", 0)  # PartyVInfo: empty
        + struct.pack(">I", 256)  # key length in bits
    )
    return hashlib.sha256(struct.pack(">I", 1) + shared_secret + info).digest()


def _bad(reason: str) -> AuthError:
    return AuthError(f"The account server sent unusable keys ({reason}). Please sign in again.")


def decrypt_keys_jwe(keys_jwe: str, private_key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    """Decrypt a compact ECDH-ES/A256GCM JWE into the scope → JWK map it carries."""
    parts = keys_jwe.split(".") if isinstance(keys_jwe, str) else []
    if len(parts) != 5 or parts[1] != "":
        raise _bad("not a compact JWE with direct key agreement")
    try:
        header = json.loads(b64url_decode(parts[0]))
        iv, ciphertext, tag = (b64url_decode(p) for p in parts[2:])
    except (ValueError, RecursionError) as error:  # RecursionError: nested too deeply
        raise _bad("malformed JWE") from error
    if not isinstance(header, dict) or header.get("alg") != "ECDH-ES":
        raise _bad("unexpected key agreement")
    if header.get("enc") != "A256GCM" or len(iv) != 12 or len(tag) != 16:
        raise _bad("unexpected encryption")
    epk = header.get("epk")
    if not isinstance(epk, dict) or epk.get("kty") != "EC" or epk.get("crv") != "P-256":
        raise _bad("unexpected ephemeral key")
    try:
        x = int.from_bytes(b64url_decode(epk["x"]), "big")
        y = int.from_bytes(b64url_decode(epk["y"]), "big")
        peer = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except (KeyError, TypeError, ValueError) as error:
        raise _bad("invalid ephemeral key") from error
    shared = private_key.exchange(ec.ECDH(), peer)
    cek = _concat_kdf(shared, "A256GCM")
    try:
        plaintext = AESGCM(cek).decrypt(iv, ciphertext + tag, parts[0].encode("ascii"))
    except InvalidTag as error:
        raise _bad("they do not decrypt with this sign-in's key") from error
    try:
        keys = json.loads(plaintext)
    except (ValueError, RecursionError) as error:
        raise _bad("not JSON") from error
    if not isinstance(keys, dict):
        raise _bad("not a map of scoped keys")
    return keys


def sync_key_from_scoped_keys(keys: dict[str, Any]) -> SyncKey:
    """Validate the oldsync entry the way Firefox does, and turn it into a ``SyncKey``."""
    entry = keys.get(OLDSYNC_SCOPE)
    if not isinstance(entry, dict):
        raise _bad("no sync key was granted")
    if entry.get("scope") != OLDSYNC_SCOPE or entry.get("kty") != "oct":
        raise _bad("the sync key is of the wrong kind")
    kid = entry.get("kid")
    match = _KID_RE.match(kid) if isinstance(kid, str) else None
    if match is None or int(match.group(1)) <= 0:
        raise _bad("the sync key has an invalid key id")
    try:
        ksync = b64url_decode(entry.get("k", ""))
    except ValueError as error:
        raise _bad("the sync key is not base64url") from error
    if len(ksync) != 64:
        raise _bad("the sync key has the wrong length")
    return SyncKey(ksync=ksync, kid=kid)
