"""What can go wrong talking to Firefox Accounts, in words a user understands.

``error_for`` turns an auth-server error answer (HTTP status + ``errno``) into one of
these; messages come from us, never from the server's text, and never carry a secret.
"""

from __future__ import annotations

import math
import time
from typing import Any

from daemon.errors import AuthError, ExitStatus, FoxbridgeError, NetworkError, ServerError


class AccountServerError(ServerError):
    """The account server failed or answered something we cannot use."""

    def __init__(self, message: str, *, errno: int | None = None, http_status: int = 0) -> None:
        super().__init__(message)
        self.errno = errno
        self.http_status = http_status


class MalformedResponseError(AccountServerError):
    def __init__(self, what: str) -> None:
        super().__init__(f"The account server sent an unexpected answer ({what}).")


class AccountOfflineError(NetworkError):
    pass


class UnknownAccountError(AuthError):
    pass


class IncorrectPasswordError(AuthError):
    pass


class UnverifiedSessionError(AuthError):
    """The session is not confirmed yet (errno 104 / 138)."""

    status = ExitStatus.CODE_REQUIRED


class InvalidTokenError(AuthError):
    """The session or refresh token is gone: the user signed out or disconnected us."""


class ClockSkewError(AuthError):
    def __init__(self, server_time: float) -> None:
        super().__init__("This computer's clock is too far off; please set the correct time.")
        self.server_time = server_time


class ThrottledError(ServerError):
    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(0.0, retry_after)
        self.until = time.time() + self.retry_after
        when = time.strftime("%H:%M", time.localtime(self.until))
        super().__init__(
            f"Too many attempts: the account server asks to wait until {when} "
            f"(about {max(1, round(self.retry_after / 60))} min)."
        )


class IncorrectEmailCaseError(AuthError):
    """The account's email is spelled differently (errno 120); sign-in retries with it."""

    def __init__(self, email: str) -> None:
        super().__init__("The email address is spelled differently on the account.")
        self.email = email


class UnknownDeviceError(AuthError):
    pass


class DeviceSessionConflictError(AuthError):
    def __init__(self, device_id: str) -> None:
        super().__init__("This session already has a device record.")
        self.device_id = device_id


class RequestBlockedError(AuthError):
    """errno 125: blocked by anti-abuse checks; unblockable by email code if ``can_unblock``."""

    def __init__(self, can_unblock: bool) -> None:
        super().__init__(
            "The account server blocked this sign-in for security reasons"
            + (" and emailed an unblock code." if can_unblock else ". Try again later.")
        )
        self.can_unblock = can_unblock


class InvalidCodeError(AuthError):
    pass


class ClientDisabledError(AuthError):
    """errno 204 (or the OAuth server's ``disabledClient``): the OAuth client id foxbridge
    uses is switched off on that server; waiting does not help."""

    def __init__(self) -> None:
        super().__init__(
            "The account server no longer accepts the OAuth client foxbridge uses. "
            "See the README (Sign in) for what to do."
        )


class BotProtectionError(ServerError):
    pass


class ServiceUnavailableError(ServerError):
    def __init__(self, retry_after: float | None) -> None:
        self.retry_after = retry_after
        suffix = f" Try again in {int(retry_after)} s." if retry_after else " Try again later."
        super().__init__("Firefox Accounts is temporarily unavailable." + suffix)


_PLAIN: dict[int, tuple[type[FoxbridgeError], str]] = {
    102: (UnknownAccountError, "There is no Firefox account with that email address."),
    103: (IncorrectPasswordError, "Incorrect password."),
    104: (UnverifiedSessionError, "Confirm this sign-in first (check your email for a code)."),
    110: (InvalidTokenError, "You were signed out of your Firefox account; sign in again."),
    116: (AccountServerError, "The account server no longer supports this version of foxbridge."),
    123: (UnknownDeviceError, "This device is no longer registered with the account."),
    126: (AuthError, "Your account must be reset: set a new password at accounts.firefox.com."),
    127: (InvalidCodeError, "That unblock code is wrong or expired."),
    138: (UnverifiedSessionError, "Confirm this sign-in first (check your email for a code)."),
    142: (AuthError, "Sign in with your account's primary email address."),
    149: (AuthError, "This account is disabled."),
    150: (AccountServerError, "The account server could not send an email; try again later."),
    151: (AccountServerError, "The account server could not send an email; try again later."),
    152: (InvalidCodeError, "That confirmation code is wrong or expired."),
    153: (InvalidCodeError, "That confirmation code is wrong or expired."),
    156: (InvalidCodeError, "That backup authentication code is not valid."),
    160: (AuthError, "This account uses two-step authentication: a code is required."),
    164: (InvalidTokenError, "The sign-in is too old for this request; sign in again."),
    182: (InvalidTokenError, "You were signed out of your Firefox account; sign in again."),
    183: (InvalidCodeError, "That confirmation code is wrong or expired."),
    210: (AuthError, "This account has no password: set one at accounts.firefox.com first."),
    213: (AuthError, "Firefox Accounts is not available in your location."),
    222: (AuthError, "This request needs a sign-in confirmed with two-step authentication."),
}


# Bounds a server's number to what a time can be: a NaN, an infinity or a year-3000 value
# would otherwise break date arithmetic and Hawk timestamps.
_LARGEST_TIME = 1e10  # seconds: about the year 2286, as a time or as a wait


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int) and value > _LARGEST_TIME:
        return _LARGEST_TIME  # also spares float() an int too large for it
    number = float(value)
    return min(number, _LARGEST_TIME) if math.isfinite(number) else None


def error_for(http_status: int, body: Any, headers: dict[str, str]) -> FoxbridgeError:
    """The ``FoxbridgeError`` for an error answer of the auth or OAuth server."""
    retry_header = _number(_int_or_none(headers.get("Retry-After")))
    if isinstance(body, dict) and body.get("error") == "disabledClient":
        return ClientDisabledError()
    if not isinstance(body, dict) or not isinstance(body.get("errno"), int):
        if http_status == 406:
            return BotProtectionError(
                "The account server's bot protection refused this request. Sign in from the "
                "browser instead (the extension's sign-in page)."
            )
        if http_status == 429:
            return ThrottledError(retry_header or 60)
        if http_status == 503:
            return ServiceUnavailableError(retry_header)
        return AccountServerError(f"Account server error {http_status}.", http_status=http_status)
    errno: int = body["errno"]
    error = _error_for_errno(http_status, errno, body, retry_header)
    error.errno = errno  # type: ignore[attr-defined]  # for callers that branch on it
    return error


def _error_for_errno(
    http_status: int, errno: int, body: dict[str, Any], retry_header: float | None
) -> FoxbridgeError:
    if errno == 111:
        server_time = _number(body.get("serverTime"))
        return ClockSkewError(server_time if server_time is not None else time.time())
    if errno == 114 or http_status == 429:
        return ThrottledError(_number(body.get("retryAfter")) or retry_header or 60)
    if errno == 120 and isinstance(body.get("email"), str):
        return IncorrectEmailCaseError(body["email"])
    if errno == 124 and isinstance(body.get("deviceId"), str):
        return DeviceSessionConflictError(body["deviceId"])
    if errno == 125:
        return RequestBlockedError(body.get("verificationMethod") == "email-captcha")
    if errno == 204:
        return ClientDisabledError()
    if http_status == 503 or errno in (201, 202):
        return ServiceUnavailableError(retry_header)
    if errno in _PLAIN:
        kind, message = _PLAIN[errno]
        return kind(message)
    if http_status >= 500:
        return AccountServerError(
            f"Account server error {http_status} (errno {errno}).", http_status=http_status
        )
    return AccountServerError(
        f"The account server rejected a request from foxbridge (errno {errno}).",
        http_status=http_status,
    )


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
