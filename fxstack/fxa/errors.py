"""Error answers in the auth server's shape: ``{code, errno, error, message, ...extra}``."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aiohttp import web


class FxaHttpError(Exception):
    def __init__(self, status: int, errno: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.errno = errno
        self.message = message
        self.extra = extra
        self.headers: dict[str, str] = {}

    def response(self) -> web.Response:
        body = {
            "code": self.status,
            "errno": self.errno,
            "error": HTTPStatus(self.status).phrase,
            "message": self.message,
            **self.extra,
        }
        return web.Response(
            status=self.status,
            text=json.dumps(body),
            content_type="application/json",
            headers=self.headers,
        )


def unknown_account() -> FxaHttpError:
    return FxaHttpError(400, 102, "Unknown account")


def incorrect_password(email: str) -> FxaHttpError:
    return FxaHttpError(400, 103, "Incorrect password", email=email)


def unverified_session() -> FxaHttpError:
    return FxaHttpError(400, 104, "Unconfirmed session")


def missing_parameter(name: str) -> FxaHttpError:
    return FxaHttpError(400, 108, "Missing parameter in request body", param=name)


def invalid_parameter(name: str) -> FxaHttpError:
    return FxaHttpError(400, 107, "Invalid parameter in request body", validation={"keys": [name]})


def invalid_signature() -> FxaHttpError:
    return FxaHttpError(401, 109, "Invalid request signature")


def invalid_token() -> FxaHttpError:
    return FxaHttpError(401, 110, "The authentication token could not be found")


def invalid_timestamp(server_time: int) -> FxaHttpError:
    return FxaHttpError(401, 111, "Invalid timestamp in request signature", serverTime=server_time)


def throttled(retry_after: int) -> FxaHttpError:
    error = FxaHttpError(
        429,
        114,
        "Client has sent too many requests",
        retryAfter=retry_after,
        retryAfterLocalized=f"in {max(1, retry_after // 60)} minutes",
    )
    error.headers["Retry-After"] = str(retry_after)
    return error


def incorrect_email_case(email: str) -> FxaHttpError:
    return FxaHttpError(400, 120, "Incorrect email case", email=email)


def unknown_device() -> FxaHttpError:
    return FxaHttpError(400, 123, "Unknown device")


def device_session_conflict(device_id: str) -> FxaHttpError:
    return FxaHttpError(
        400, 124, "Session already registered by another device", deviceId=device_id
    )


def request_blocked() -> FxaHttpError:
    return FxaHttpError(
        400,
        125,
        "The request was blocked for security reasons",
        verificationMethod="email-captcha",
        verificationReason="login",
    )


def invalid_unblock_code() -> FxaHttpError:
    return FxaHttpError(400, 127, "Invalid unblock code")


def unverified_session_for_oauth() -> FxaHttpError:
    return FxaHttpError(400, 138, "Unconfirmed session")


def invalid_code() -> FxaHttpError:
    return FxaHttpError(400, 183, "Invalid or expired confirmation code")


def unknown_client(client_id: str) -> FxaHttpError:
    return FxaHttpError(400, 162, f"Unknown client_id: {client_id}")


def scope_not_allowed(scope: str) -> FxaHttpError:
    return FxaHttpError(400, 163, f"Requested scopes are not allowed: {scope}")
