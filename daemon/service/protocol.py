"""The extension ⇄ daemon message protocol (docs/ipc.md), as pure functions.

A frame is a 4-byte little-endian length followed by that many bytes of UTF-8 JSON. The
JSON is one of three shapes: a request (``id`` + ``method`` + ``params``), a response
(``id`` + ``result`` or ``error``) or a notification (``method`` + ``params``, no id).
Everything that arrives is checked here before any other code sees it: the envelope, then
the parameters of each method the daemon serves. A bad message becomes a ``ProtocolError``
whose code and message go back to the sender; nothing in this module does I/O.
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from daemon.errors import ExitStatus, FoxbridgeError
from daemon.settings import MenuPlacement

MAX_FRAME_BYTES = 64 * 1024 * 1024
FRAME_HEADER = struct.Struct("<I")
MAX_ID_LENGTH = 64
MAX_METHOD_LENGTH = 64


class ErrorCode(StrEnum):
    """The ``error.code`` values of docs/ipc.md."""

    BAD_REQUEST = "bad-request"  # not a valid message at all
    TOO_LARGE = "too-large"  # a frame over MAX_FRAME_BYTES
    UNKNOWN_METHOD = "unknown-method"
    BAD_PARAMS = "bad-params"
    WRONG_ROLE = "wrong-role"  # e.g. a browser method before ``hello``
    NOT_AVAILABLE = "not-available"  # a feature this daemon does not offer yet
    NOT_SIGNED_IN = "not-signed-in"
    AUTH = "auth"  # wrong password, bad code, credentials changed
    CODE_REQUIRED = "code-required"
    NO_PENDING_SIGN_IN = "no-pending-sign-in"
    SAFETY_BRAKE = "safety-brake"
    NETWORK = "network"
    SERVER = "server"
    KEYRING = "keyring"
    TIMEOUT = "timeout"
    FAILED = "failed"  # any other expected failure
    INTERNAL = "internal"  # a bug in the daemon; the message says so, the log has the rest


_CODE_FOR_STATUS: dict[ExitStatus, ErrorCode] = {
    ExitStatus.USAGE: ErrorCode.BAD_PARAMS,
    ExitStatus.CODE_REQUIRED: ErrorCode.CODE_REQUIRED,
    ExitStatus.SAFETY_BRAKE: ErrorCode.SAFETY_BRAKE,
    ExitStatus.AUTH: ErrorCode.AUTH,
    ExitStatus.NETWORK: ErrorCode.NETWORK,
    ExitStatus.SERVER: ErrorCode.SERVER,
    ExitStatus.KEYRING: ErrorCode.KEYRING,
    ExitStatus.NOT_SIGNED_IN: ErrorCode.NOT_SIGNED_IN,
}

_STATUS_FOR_CODE: dict[str, ExitStatus] = {
    str(code): status for status, code in _CODE_FOR_STATUS.items()
}


class ProtocolError(FoxbridgeError):
    """A message the daemon cannot accept, or a failure to report to the other side."""

    def __init__(
        self,
        code: ErrorCode | str,
        message: str,
        *,
        request_id: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, status=_STATUS_FOR_CODE.get(str(code), ExitStatus.FAILURE))
        self.code = str(code)
        self.request_id = request_id
        self.data = dict(data or {})

    def to_error(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": self.data}


def error_for(error: FoxbridgeError) -> ProtocolError:
    """The protocol error that reports ``error`` to the other side."""
    if isinstance(error, ProtocolError):
        return error
    code = _CODE_FOR_STATUS.get(error.status, ErrorCode.FAILED)
    data = getattr(error, "data", None)
    return ProtocolError(code, error.message, data=data if isinstance(data, dict) else None)


# -- messages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    id: str
    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Notification:
    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Response:
    id: str | None  # None only for an error about a frame the daemon could not read
    result: Any = None
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


Message = Request | Notification | Response


def request(request_id: str, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": request_id, "method": method, "params": dict(params)}


def notification(method: str, params: Mapping[str, Any]) -> dict[str, Any]:
    return {"method": method, "params": dict(params)}


def result(request_id: str, value: Any) -> dict[str, Any]:
    return {"id": request_id, "result": value}


def error(request_id: str | None, problem: ProtocolError) -> dict[str, Any]:
    message: dict[str, Any] = {"error": problem.to_error()}
    if request_id is not None:
        message = {"id": request_id, **message}
    return message


# -- frames --------------------------------------------------------------------------------


def encode_frame(message: Mapping[str, Any]) -> bytes:
    payload = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(payload) > MAX_FRAME_BYTES:
        raise ProtocolError(ErrorCode.TOO_LARGE, "The message is larger than 64 MiB.")
    return FRAME_HEADER.pack(len(payload)) + payload


def frame_length(header: bytes) -> int:
    """The payload length announced by a frame header (the caller checks the limit)."""
    (length,) = FRAME_HEADER.unpack(header)
    return length


def too_large(length: int) -> ProtocolError:
    return ProtocolError(
        ErrorCode.TOO_LARGE,
        f"A message of {length} bytes is over the limit of {MAX_FRAME_BYTES} bytes; "
        "it was discarded.",
    )


def parse_message(payload: bytes) -> Message:
    """Decode and check one frame's payload: the envelope only, not a method's params."""
    try:
        data = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError as failure:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "The message is not UTF-8.") from failure
    except (ValueError, RecursionError) as failure:  # RecursionError: nested too deeply
        raise ProtocolError(ErrorCode.BAD_REQUEST, "The message is not valid JSON.") from failure
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "A message must be a JSON object.")
    request_id = data.get("id")
    if request_id is not None and not _is_id(request_id):
        raise ProtocolError(
            ErrorCode.BAD_REQUEST, f"A message id is a string of 1–{MAX_ID_LENGTH} characters."
        )
    if "method" in data:
        return _parse_call(data, request_id)
    if request_id is None:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "A message without a method needs an id.")
    has_result, has_error = "result" in data, "error" in data
    if has_result == has_error:
        raise ProtocolError(
            ErrorCode.BAD_REQUEST,
            "A response carries exactly one of 'result' and 'error'.",
            request_id=request_id,
        )
    if has_error:
        return Response(request_id, error=_parse_error(data["error"], request_id))
    return Response(request_id, result=data["result"])


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def _parse_call(data: dict[str, Any], request_id: str | None) -> Request | Notification:
    method = data["method"]
    if not isinstance(method, str) or not 0 < len(method) <= MAX_METHOD_LENGTH:
        raise ProtocolError(
            ErrorCode.BAD_REQUEST, "'method' must be a short string.", request_id=request_id
        )
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise ProtocolError(
            ErrorCode.BAD_REQUEST, "'params' must be a JSON object.", request_id=request_id
        )
    if request_id is None:
        return Notification(method, params)
    return Request(request_id, method, params)


def _parse_error(value: Any, request_id: str) -> dict[str, Any]:
    if not (
        isinstance(value, dict)
        and isinstance(value.get("code"), str)
        and isinstance(value.get("message"), str)
        and isinstance(value.get("data", {}), dict | None)
    ):
        raise ProtocolError(
            ErrorCode.BAD_REQUEST,
            "An error needs a string 'code' and 'message', and 'data' must be an object.",
            request_id=request_id,
        )
    data = value.get("data")
    return {"code": value["code"], "message": value["message"], "data": data or {}}


# -- the daemon's methods and their parameters -----------------------------------------------


class Role(StrEnum):
    """Who is on the other end of a connection, as its first message says."""

    UNKNOWN = "unknown"  # nothing said yet
    EXTENSION = "extension"  # a browser profile: the daemon reads and writes its bookmarks
    CLI = "cli"  # the foxbridge command: never asked for a tree


Validator = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class MethodSpec:
    validate: Validator
    notification: bool = False  # sent without an id, never answered
    browser_only: bool = False  # only after an extension's ``hello``


def _bad(message: str) -> ProtocolError:
    return ProtocolError(ErrorCode.BAD_PARAMS, message)


def _string(
    params: dict[str, Any], key: str, *, max_length: int, required: bool = True
) -> str | None:
    value = params.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise _bad(f"'{key}' must be a non-empty string of at most {max_length} characters.")
    return value


def _no_params(params: dict[str, Any]) -> dict[str, Any]:
    if params:
        raise _bad(f"No parameters expected, got {', '.join(sorted(params))}.")
    return {}


def _only(params: dict[str, Any], *allowed: str) -> None:
    unknown = set(params) - set(allowed)
    if unknown:
        raise _bad(f"Unknown parameter(s): {', '.join(sorted(unknown))}.")


_PROFILE_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}\Z")


def _hello(params: dict[str, Any]) -> dict[str, Any]:
    _only(params, "profile", "version", "role")
    role = params.get("role", Role.EXTENSION)
    if role not in (Role.EXTENSION, Role.CLI):
        raise _bad("'role' is 'extension' or 'cli'.")
    version = _string(params, "version", max_length=64, required=False) or ""
    if role == Role.CLI:
        if "profile" in params:
            raise _bad("A CLI connection has no profile.")
        return {"role": Role.CLI, "version": version}
    profile = params.get("profile")
    if not isinstance(profile, dict):
        raise _bad("'profile' must be an object {id, browser, name}.")
    _only(profile, "id", "browser", "name")
    profile_id = _string(profile, "id", max_length=128)
    if not _PROFILE_ID_RE.match(profile_id or ""):
        raise _bad("'profile.id' may use letters, digits and . _ : - only.")
    return {
        "role": Role.EXTENSION,
        "version": version,
        "profile": {
            "id": profile_id,
            "browser": _string(profile, "browser", max_length=64, required=False) or "",
            "name": _string(profile, "name", max_length=256, required=False) or "",
        },
    }


def _host_hello(params: dict[str, Any]) -> dict[str, Any]:
    _only(params, "origin", "host_version")
    return {
        "origin": _string(params, "origin", max_length=256, required=False) or "",
        "host_version": _string(params, "host_version", max_length=64, required=False) or "",
    }


_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\Z")


def _login_password(params: dict[str, Any]) -> dict[str, Any]:
    _only(params, "email", "password", "server", "token_server")
    email = _string(params, "email", max_length=320)
    if not _EMAIL_RE.match(email or ""):
        raise _bad("That does not look like an email address.")
    password = params.get("password")
    if not isinstance(password, str) or not password or len(password) > 4096:
        raise _bad("'password' must be a non-empty string.")  # never echo the value
    return {
        "email": email,
        "password": password,
        "server": _string(params, "server", max_length=2048, required=False),
        "token_server": _string(params, "token_server", max_length=2048, required=False),
    }


_CODE_RE = re.compile(r"^[A-Za-z0-9]{4,32}\Z")


def _login_code(params: dict[str, Any]) -> dict[str, Any]:
    _only(params, "code")
    code = params.get("code")
    if not isinstance(code, str) or not _CODE_RE.match(code.strip()):
        raise _bad("'code' must be the 4–32 letters or digits the server sent.")
    return {"code": code.strip()}


_EVENT_TYPES = frozenset(
    {"created", "changed", "moved", "removed", "reordered", "import-begin", "import-end"}
)
MAX_EVENTS = 10_000


def _bookmarks_changed(params: dict[str, Any]) -> dict[str, Any]:
    _only(params, "events")
    events = params.get("events")
    if not isinstance(events, list) or len(events) > MAX_EVENTS:
        raise _bad(f"'events' must be a list of at most {MAX_EVENTS} events.")
    checked = []
    for event in events:
        kind = event.get("type") if isinstance(event, dict) else None
        if not isinstance(kind, str) or kind not in _EVENT_TYPES:
            raise _bad(f"Each event needs a 'type' among {', '.join(sorted(_EVENT_TYPES))}.")
        at = event.get("at", 0)
        if isinstance(at, bool) or not isinstance(at, int | float) or not 0 <= at < math.inf:
            raise _bad("An event's 'at' is a time in milliseconds.")
        bookmark_id = event.get("id")
        if bookmark_id is not None and not isinstance(bookmark_id, str):
            raise _bad("An event's 'id' is a bookmark id string.")
        checked.append({"type": event["type"], "id": bookmark_id, "at": int(at)})
    return {"events": checked}


def _int_in(low: int, high: int) -> Callable[[Any], Any]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _bad(f"must be a whole number from {low} to {high}")
        return value

    return check


def _share(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise _bad("must be a number from 0 to 1")
    return float(value)


def _placement(value: Any) -> str:
    if not isinstance(value, str) or value not in {str(p) for p in MenuPlacement}:
        raise _bad("must be one of " + ", ".join(str(p) for p in MenuPlacement))
    return str(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _bad("must be true or false")
    return value


# Each setting the extension may change, with its check. ``paused`` is here too, so the
# options page can pause; it is the same switch as sync.pause / sync.resume.
SETTING_CHECKS: dict[str, Callable[[Any], Any]] = {
    "sync_interval": _int_in(15, 24 * 3600),
    "menu_placement": _placement,
    "brake_max_share": _share,
    "brake_max_count": _int_in(0, 1_000_000),
    "snapshots_keep": _int_in(1, 1000),
    "paused": _boolean,
}


def _settings_set(params: dict[str, Any]) -> dict[str, Any]:
    if not params:
        raise _bad("Give at least one setting to change.")
    checked = {}
    for key, value in params.items():
        check = SETTING_CHECKS.get(key)
        if check is None:
            raise _bad(f"Unknown setting {key!r}; known: {', '.join(SETTING_CHECKS)}.")
        try:
            checked[key] = check(value)
        except ProtocolError as problem:
            raise _bad(f"Setting {key!r} {problem.message}.") from None
    return checked


_SNAPSHOT_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,128}\Z")


def _snapshot_restore(params: dict[str, Any]) -> dict[str, Any]:
    _only(params, "id")
    snapshot_id = params.get("id")
    if not isinstance(snapshot_id, str) or not _SNAPSHOT_ID_RE.match(snapshot_id):
        raise _bad("'id' must be a snapshot id from snapshots.list.")
    return {"id": snapshot_id}


_CLIENT_ID_RE = re.compile(r"^[0-9a-f]{16}\Z")
_STATE_RE = re.compile(r"^[A-Za-z0-9_-]{16,512}\Z")
_AUTH_CODE_RE = re.compile(r"^[0-9a-f]{64}\Z")
_UID_RE = re.compile(r"^[0-9a-f]{32}\Z")


def _login_web_begin(params: dict[str, Any]) -> dict[str, Any]:
    _only(params, "server", "token_server", "client_id", "open_in_browser")
    client_id = _string(params, "client_id", max_length=16, required=False)
    if client_id is not None and not _CLIENT_ID_RE.match(client_id):
        raise _bad("'client_id' must be 16 hexadecimal digits.")
    open_in_browser = params.get("open_in_browser", False)
    if not isinstance(open_in_browser, bool):
        raise _bad("'open_in_browser' must be true or false.")
    return {
        "server": _string(params, "server", max_length=2048, required=False),
        "token_server": _string(params, "token_server", max_length=2048, required=False),
        "client_id": client_id,
        "open_in_browser": open_in_browser,
    }


def _login_web_complete(params: dict[str, Any]) -> dict[str, Any]:
    """What the account page reported: its code and state, and who it said signed in."""
    _only(params, "state", "code", "login")
    state, code = params.get("state"), params.get("code")
    if not isinstance(state, str) or not _STATE_RE.match(state):
        raise _bad("'state' is not the state of a sign-in.")
    if not isinstance(code, str) or not _AUTH_CODE_RE.match(code):
        raise _bad("'code' must be the account page's code (64 hexadecimal digits).")
    login = params.get("login")
    if login is None:  # the page says who signed in before its code; checked when it did
        return {"state": state, "code": code, "login": None}
    if not isinstance(login, dict) or set(login) - {"uid", "email", "verified"}:
        raise _bad("'login' must be {uid, email} from the account page.")
    uid, email = login.get("uid"), login.get("email")
    if not isinstance(uid, str) or not _UID_RE.match(uid):
        raise _bad("'login.uid' must be 32 hexadecimal digits.")
    if not isinstance(email, str) or not _EMAIL_RE.match(email):
        raise _bad("'login.email' does not look like an email address.")
    return {"state": state, "code": code, "login": {"uid": uid, "email": email}}


METHODS: dict[str, MethodSpec] = {
    "hello": MethodSpec(_hello),
    "host.hello": MethodSpec(_host_hello, notification=True),
    "status": MethodSpec(_no_params),
    "login.password": MethodSpec(_login_password),
    "login.code": MethodSpec(_login_code),
    "login.web.begin": MethodSpec(_login_web_begin),
    "login.web.complete": MethodSpec(_login_web_complete),
    "logout": MethodSpec(_no_params),
    "sync.now": MethodSpec(_no_params),
    "sync.pause": MethodSpec(_no_params),
    "sync.resume": MethodSpec(_no_params),
    "sync.confirm": MethodSpec(_no_params),
    "bookmarks.changed": MethodSpec(_bookmarks_changed, notification=True, browser_only=True),
    "settings.get": MethodSpec(_no_params),
    "settings.set": MethodSpec(_settings_set),
    "snapshots.list": MethodSpec(_no_params),
    "snapshots.restore": MethodSpec(_snapshot_restore),
}


def validate_call(message: Request | Notification, role: Role) -> dict[str, Any]:
    """Check a call the daemon received; return its normalised params."""
    request_id = message.id if isinstance(message, Request) else None
    spec = METHODS.get(message.method)
    if spec is None:
        raise ProtocolError(
            ErrorCode.UNKNOWN_METHOD,
            f"Unknown method {message.method!r}.",
            request_id=request_id,
        )
    if spec.notification and request_id is not None:
        raise ProtocolError(
            ErrorCode.BAD_REQUEST,
            f"{message.method!r} is a notification: send it without an id.",
            request_id=request_id,
        )
    if not spec.notification and request_id is None:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{message.method!r} needs an id.")
    if spec.browser_only and role != Role.EXTENSION:
        raise ProtocolError(
            ErrorCode.WRONG_ROLE,
            f"{message.method!r} is for a browser profile: send 'hello' with a profile first.",
            request_id=request_id,
        )
    try:
        return spec.validate(message.params)
    except ProtocolError as problem:
        problem.request_id = request_id
        raise


# -- the daemon's own requests -------------------------------------------------------------


@dataclass
class RequestIds:
    """Ids for requests the daemon sends: ``d1``, ``d2``… (docs/ipc.md)."""

    prefix: str = "d"
    _next: int = field(default=1, repr=False)

    def next(self) -> str:
        value = f"{self.prefix}{self._next}"
        self._next += 1
        return value
