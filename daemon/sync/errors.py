"""What can go wrong talking to Sync, in words a user (or the engine) can act on."""

from __future__ import annotations

from daemon.errors import AuthError, ExitStatus, FoxbridgeError, ServerError


class SyncProtocolError(ServerError):
    """The server answered something the Sync protocol does not allow."""


class PreconditionFailedError(ServerError):
    """412: someone else wrote since ``X-If-Unmodified-Since``; re-download and merge."""

    def __init__(self, last_modified: float | None = None) -> None:
        super().__init__("The server's data changed meanwhile; syncing again will catch up.")
        self.last_modified = last_modified


# The longest wait a server may impose: longer (or absurd) requests are read as this, so
# a bogus header cannot stop syncing for good or overflow the date arithmetic.
MAX_SERVER_WAIT = 7 * 24 * 3600.0


class BackoffError(ServerError):
    """The server asked us to wait; nothing is sent before ``retry_after`` seconds pass."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = min(max(0.0, retry_after), MAX_SERVER_WAIT)
        super().__init__(
            f"The Sync server is busy; foxbridge will try again in {round(self.retry_after)} s."
        )


class NodeReassignedError(ServerError):
    """The account's data moved to another storage node: reset local sync state."""

    def __init__(self) -> None:
        super().__init__("The Sync server moved this account's data; the next sync starts afresh.")


class CredentialsChangedError(AuthError):
    """The Sync data is encrypted with keys we do not hold (password reset elsewhere)."""

    def __init__(self) -> None:
        super().__init__(
            "Your Firefox Account's encryption keys changed (password reset?). "
            "Sign in again with 'foxbridge login'."
        )


class ServerEndOfLifeError(ServerError):
    """513: the service is shut down for this client."""


class UpgradeRequiredError(FoxbridgeError):
    status = ExitStatus.FAILURE


class EngineDeclinedError(FoxbridgeError):
    """The user turned this engine off for the whole account (in Firefox)."""


class RecordRejectedError(ServerError):
    """The server refused some records of an upload; the upload stopped there."""

    def __init__(self, failed: dict[str, str]) -> None:
        self.failed = dict(failed)
        first = next(iter(self.failed.items()), ("?", "?"))
        super().__init__(
            f"The Sync server refused {len(self.failed)} record(s) "
            f"(first: {first[0]!r}: {first[1]}); the upload stopped."
        )


class InvalidRecordError(FoxbridgeError):
    """A record that no Sync server would accept (bad id, sortindex or ttl)."""


class RecordTooLargeError(FoxbridgeError):
    def __init__(self, record_id: str, size: int, limit: int) -> None:
        super().__init__(
            f"Record {record_id!r} is too large for the Sync server ({size} > {limit} bytes)."
        )
        self.record_id = record_id
