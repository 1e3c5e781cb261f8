"""Every way the account server can fail becomes one plain ``FoxbridgeError``."""

from __future__ import annotations

import pytest

from daemon.errors import AuthError, ExitStatus, FoxbridgeError
from daemon.fxa.client import FxaClient
from daemon.fxa.errors import (
    AccountOfflineError,
    AccountServerError,
    BotProtectionError,
    ClientDisabledError,
    MalformedResponseError,
    RequestBlockedError,
    ServiceUnavailableError,
    ThrottledError,
    error_for,
)
from daemon.fxa.login import login_with_password
from daemon.fxa.servers import ServerConfig
from fxstack.faults import Fault
from tests.fxa.conftest import PASSWORD

LOGIN = "/v1/account/login"


async def login(http, servers):
    return await FxaClient(http, servers).sign_in("x@example.org", PASSWORD)


@pytest.mark.parametrize(
    ("fault", "expected", "text"),
    [
        (Fault(LOGIN, status=406), BotProtectionError, "bot protection"),
        (
            Fault(LOGIN, status=503, headers={"Retry-After": "30"}),
            ServiceUnavailableError,
            "Try again in 30 s",
        ),
        (Fault(LOGIN, status=500), AccountServerError, "Account server error 500."),
        (
            Fault(LOGIN, status=429, body={"code": 429, "errno": 114, "retryAfter": 120}),
            ThrottledError,
            "about 2 min",
        ),
        (
            Fault(LOGIN, status=400, body={"code": 400, "errno": 125, "verificationMethod": "x"}),
            RequestBlockedError,
            "Try again later",
        ),
        (
            Fault(
                LOGIN,
                status=200,
                body={"uid": "not hex", "verified": True, "sessionToken": "secret"},
            ),
            MalformedResponseError,
            "'uid'",
        ),
        (Fault(LOGIN, status=400, body={"code": 400, "errno": 210}), AuthError, "no password"),
        # A disabled client id is for good: not "temporarily unavailable, try again later".
        (
            Fault(LOGIN, status=503, body={"code": 503, "errno": 204}),
            ClientDisabledError,
            "no longer accepts",
        ),
        (
            Fault(LOGIN, status=400, body={"code": 400, "error": "disabledClient"}),
            ClientDisabledError,
            "no longer accepts",
        ),
    ],
)
async def test_server_failures_are_plain_errors(stack, http, servers, fault, expected, text):
    stack.faults.add(fault)
    with pytest.raises(expected) as raised:
        await login(http, servers)
    assert text in str(raised.value)
    assert "secret" not in str(raised.value)


async def test_unreachable_server_is_offline(http, unused_tcp_port):
    base = f"http://127.0.0.1:{unused_tcp_port}"
    servers = ServerConfig(base, f"{base}/v1", f"{base}/v1", f"{base}/v1", f"{base}/1.0/sync/1.5")
    with pytest.raises(AccountOfflineError) as raised:
        await login(http, servers)
    assert raised.value.status == ExitStatus.NETWORK


async def test_a_password_change_lock_is_explained(stack, http, servers, paths):
    body = {
        "uid": "ab" * 16,
        "sessionToken": "cd" * 32,
        "keyFetchToken": "ef" * 32,
        "verified": False,
        "verificationMethod": "email",
        "verificationReason": "change_password",
    }
    stack.faults.add(Fault(LOGIN, status=200, body=body))
    with pytest.raises(AuthError, match="set a new password"):
        await login_with_password(
            paths, http, email="x@example.org", password=PASSWORD, servers=servers
        )


@pytest.mark.parametrize(
    ("errno", "status"),
    [
        (102, ExitStatus.AUTH),
        (103, ExitStatus.AUTH),
        (104, ExitStatus.CODE_REQUIRED),
        (110, ExitStatus.AUTH),
        (126, ExitStatus.AUTH),
        (127, ExitStatus.AUTH),
        (142, ExitStatus.AUTH),
        (149, ExitStatus.AUTH),
        (151, ExitStatus.SERVER),
        (183, ExitStatus.AUTH),
        (201, ExitStatus.SERVER),
        (999, ExitStatus.SERVER),
    ],
)
def test_errno_table(errno: int, status: ExitStatus) -> None:
    http_status = 503 if errno == 201 else 500 if errno == 999 else 400
    error = error_for(http_status, {"code": http_status, "errno": errno, "message": "x"}, {})
    assert isinstance(error, FoxbridgeError)
    assert error.status == status
    assert error.errno == errno  # type: ignore[attr-defined]
    assert error.message.endswith(".") and error.message != "x"


async def test_an_oversized_answer_is_refused(stack, http, servers):
    stack.faults.add(Fault(LOGIN, status=200, body={"padding": "x" * (2 * 1024 * 1024)}))
    with pytest.raises(MalformedResponseError, match="too large"):
        await login(http, servers)


@pytest.mark.parametrize("status", [200, 400])
async def test_an_answer_nested_too_deeply_is_plain(aiohttp_server, http, status):
    """JSON deep enough to exhaust the parser's recursion is bad JSON, not a crash."""
    from aiohttp import web

    async def deep(request: web.Request) -> web.Response:
        return web.Response(text="[" * 100_000, status=status, content_type="application/json")

    app = web.Application()
    app.router.add_post("/v1/account/login", deep)
    server = await aiohttp_server(app)
    base = str(server.make_url("")).rstrip("/")
    servers = ServerConfig(base, f"{base}/v1", f"{base}/v1", f"{base}/v1", f"{base}/1.0/sync/1.5")
    with pytest.raises(AccountServerError):
        await login(http, servers)
