"""What the Sync layer needs from the signed-in account.

``SyncKey`` is the account's sync key and its key id; ``SyncCredentials`` is the
interface the tokenserver client uses to get OAuth access tokens. ``Account`` (in
``daemon.fxa.account``) is the real implementation; ``StaticCredentials`` is a fixed
one for tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, repr=False)
class SyncKey:
    """kSync and its X-KeyID. ``repr`` is disabled so the key never reaches a log."""

    ksync: bytes  # 64 bytes: AES key (0:32) + HMAC key (32:64) of the root bundle
    kid: str  # X-KeyID: "<keyRotationTimestamp ms>-<b64url(sha256(kB)[:16])>"

    def __post_init__(self) -> None:
        if len(self.ksync) != 64:
            raise ValueError("kSync must be 64 bytes")

    @property
    def encryption_key(self) -> bytes:
        return self.ksync[:32]

    @property
    def hmac_key(self) -> bytes:
        return self.ksync[32:]

    def __repr__(self) -> str:
        return "SyncKey(<secret>)"


class SyncCredentials(Protocol):
    token_server_url: str  # ends with /1.0/sync/1.5
    sync_key: SyncKey

    async def access_token(self, *, force_refresh: bool = False) -> str: ...

    async def on_unauthorized(self) -> None: ...  # the tokenserver said 401: refresh or sign out


@dataclass(repr=False)
class StaticCredentials:
    """Fixed credentials for tests: the same access token every time."""

    token_server_url: str
    sync_key: SyncKey
    token: str = field(repr=False)
    unauthorized_calls: int = 0

    async def access_token(self, *, force_refresh: bool = False) -> str:
        return self.token

    async def on_unauthorized(self) -> None:
        self.unauthorized_calls += 1

    def __repr__(self) -> str:
        return f"StaticCredentials(token_server_url={self.token_server_url!r})"
