"""What the account server sends during a password sign-in: any answer, on any step.

The real sign-in runs against the local stack; a fault replaces one step's answer with a
random status, body and headers. The sign-in either completes or fails with a
``FoxbridgeError`` whose message names no secret; it never raises anything else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from daemon.errors import FoxbridgeError
from daemon.fxa.login import login_with_password
from daemon.fxa.servers import ServerConfig, discover
from daemon.paths import default_paths
from fxstack.faults import Fault
from tests.security.strategies import JSON, json_or

EMAIL = "fuzz@example.org"
PASSWORD = "a password for the fuzzing account"
SECRET = "ab" * 32  # a token-shaped value the fake answers carry

STEPS = st.sampled_from(
    [
        "/v1/account/credentials/status",
        "/v1/account/login",
        "/v1/account/keys",
        "/v1/session/status",
        "/v1/account/scoped-key-data",
        "/v1/oauth/token",
        "/v1/account/device",
        "/v1/account/devices",
    ]
)
FIELDS = {
    name: json_or(st.just(SECRET))
    for name in ("sessionToken", "keyFetchToken", "bundle", "access_token", "refresh_token")
}
BODIES = (
    st.none()
    | JSON
    | st.fixed_dictionaries(
        {},
        optional={
            **FIELDS,
            "uid": json_or(st.just("0123456789abcdef0123456789abcdef")),
            "verified": JSON,
            "verificationMethod": JSON,
            "errno": json_or(st.sampled_from([102, 103, 104, 107, 110, 111, 114, 125, 201])),
            "code": JSON,
            "retryAfter": JSON,
            "serverTime": JSON,
            "currentVersion": json_or(st.sampled_from(["v1", "v2"])),
            "state": JSON,
            "expires_in": JSON,
            "token_type": JSON,
            "scope": JSON,
            "id": JSON,
        },
    )
)
HEADERS = st.fixed_dictionaries(
    {}, optional={"Retry-After": st.sampled_from(["", "1", "-1", "1e999", "x", "9" * 40])}
)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def servers(stack, http: aiohttp.ClientSession) -> ServerConfig:
    stack.fxa.create_account(EMAIL, PASSWORD, verification="none")
    return await discover(http, stack.url)


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(STEPS, st.sampled_from([200, 400, 401, 429, 500, 503]), BODIES, HEADERS)
@example("/v1/account/login", 429, {"errno": 114, "retryAfter": 1e300}, {})
@example("/v1/account/login", 400, {"errno": 111, "serverTime": float("nan")}, {})
@example("/v1/oauth/token", 200, {"access_token": "x", "token_type": None}, {})
async def test_any_answer_on_any_sign_in_step_is_handled(
    stack, http, servers, foxbridge_home, memory_keyring, step, status, body, headers
) -> None:
    paths = default_paths()
    paths.account_file.unlink(missing_ok=True)
    memory_keyring.entries.clear()
    stack.faults.clear()
    stack.faults.add(Fault(step, status=status, body=body, headers=headers))
    try:
        await login_with_password(paths, http, email=EMAIL, password=PASSWORD, servers=servers)
    except FoxbridgeError as failure:
        assert failure.message
        assert SECRET not in failure.message and PASSWORD not in failure.message
    finally:
        stack.faults.clear()
