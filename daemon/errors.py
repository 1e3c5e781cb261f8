"""The errors a user may meet, each with a plain message and an exit status.

Every expected failure is a ``FoxbridgeError``: the CLI prints its message as one line
and exits with its status; the daemon sends the same message to the extension. The
message never contains a password, token or key.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    FAILURE = 1  # anything not listed below
    USAGE = 2  # bad command-line arguments (argparse's own status)
    CODE_REQUIRED = 3  # the server asks for a confirmation code
    SAFETY_BRAKE = 4  # a sync stopped because it would delete too much
    AUTH = 5  # wrong password, signed out, credentials changed
    NETWORK = 6  # offline, server unreachable
    SERVER = 7  # server error, throttled, backing off
    KEYRING = 8  # no usable OS keyring
    NOT_SIGNED_IN = 9


class FoxbridgeError(Exception):
    """An expected failure, explained in words a user understands."""

    status: ExitStatus = ExitStatus.FAILURE

    def __init__(self, message: str, *, status: ExitStatus | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return self.message


class NotSignedInError(FoxbridgeError):
    status = ExitStatus.NOT_SIGNED_IN

    def __init__(self, message: str = "Not signed in. Run 'foxbridge login' first.") -> None:
        super().__init__(message)


class NetworkError(FoxbridgeError):
    status = ExitStatus.NETWORK


class ServerError(FoxbridgeError):
    status = ExitStatus.SERVER


class AuthError(FoxbridgeError):
    status = ExitStatus.AUTH


class KeyringUnavailableError(FoxbridgeError):
    status = ExitStatus.KEYRING
