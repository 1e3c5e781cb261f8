"""The sign-in flow over IPC keeps a password only while a code is awaited, 10 minutes at most."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from daemon.errors import AuthError
from daemon.fxa.login import CodeRequired
from daemon.paths import Paths
from daemon.service.clock import ManualClock
from daemon.service.signin import PENDING_LIFETIME, NoPendingSignInError, SignInFlow


class FakeLogin:
    """Stands in for daemon.fxa.login.login_with_password and records its calls."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.outcomes: list[object] = []

    async def __call__(self, paths, http, **kwargs):
        self.calls.append(kwargs)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


class FakeAccount:
    email = "a@example.com"


@pytest.fixture
def login(monkeypatch: pytest.MonkeyPatch) -> FakeLogin:
    fake = FakeLogin()
    monkeypatch.setattr("daemon.fxa.login.login_with_password", fake)
    return fake


@pytest.fixture
async def flow(paths: Paths):
    signed_in: list[object] = []

    async def on_signed_in(account: object) -> None:
        signed_in.append(account)

    clock = ManualClock()
    async with aiohttp.ClientSession() as http:
        made = SignInFlow(paths, http, clock, on_signed_in)
        made.clock, made.signed_in = clock, signed_in  # for the tests
        yield made


async def test_a_code_completes_the_same_sign_in(flow, login) -> None:
    login.outcomes = [CodeRequired("email"), FakeAccount()]
    first = await flow.with_password("a@example.com", "pw-123", None, None)
    assert first == {"state": "code-required", "kind": "email"}
    assert "pw-123" not in repr(flow.pending)
    assert await flow.with_code("123456") == {"state": "signed-in"}
    assert login.calls[1]["password"] == "pw-123" and login.calls[1]["code"] == "123456"
    assert flow.pending is None and len(flow.signed_in) == 1


async def test_the_password_is_dropped_after_ten_minutes(flow, login) -> None:
    login.outcomes = [CodeRequired("unblock")]
    await flow.with_password("a@example.com", "pw-123", None, None)
    flow.clock.advance(PENDING_LIFETIME - 1)
    assert flow.pending is not None
    flow.clock.advance(1)
    assert flow.pending is None
    with pytest.raises(NoPendingSignInError):
        await flow.with_code("123456")
    assert len(login.calls) == 1


async def test_the_password_does_not_linger_when_nobody_comes_back(flow, login) -> None:
    login.outcomes = [CodeRequired("email")]
    await flow.with_password("a@example.com", "pw-123", None, None)
    held = flow._pending
    assert held is not None
    flow.clock.advance(PENDING_LIFETIME)
    for _ in range(5):  # let the expiry task run
        await asyncio.sleep(0)
    assert flow._pending is None  # dropped by the timer, not on the next access


async def test_a_wrong_code_may_be_retried_but_a_wrong_password_is_not_kept(flow, login) -> None:
    login.outcomes = [CodeRequired("totp"), AuthError("Wrong code."), FakeAccount()]
    await flow.with_password("a@example.com", "pw-123", None, None)
    with pytest.raises(AuthError):
        await flow.with_code("000000")
    assert flow.pending is not None
    assert await flow.with_code("654321") == {"state": "signed-in"}
    login.outcomes = [AuthError("Wrong password.")]
    with pytest.raises(AuthError):
        await flow.with_password("a@example.com", "bad", None, None)
    assert flow.pending is None
