"""Sign-in through the account page over IPC, with the real daemon process and the stack.

A fake extension asks the daemon to begin, then does what the page does for a user who
types the password and the emailed code (the page double's own API, with the parameters
read from the URL the daemon gave), and hands the page's code back to the daemon.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest

from daemon.service.client import call
from tests.service.fake_extension import FakeExtension
from tests.service.test_daemon_process import (
    EMAIL,
    PASSWORD,
    REPO,
    DaemonProcess,
    create_account,
    daemon_env,
    read_json,
)


@pytest.fixture
def keyring_file(tmp_path: Path) -> Path:
    return tmp_path / "keyring.json"


@pytest.fixture
def daemon(short_home: Path, keyring_file: Path) -> Iterator[DaemonProcess]:
    running = DaemonProcess(short_home, keyring_file)
    yield running
    running.stop()


def read_text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


async def page_sign_in(stack_thread: Any, url: str) -> dict[str, Any]:
    """The page's part: sign in as the user would, authorize with the URL's parameters;
    returns what its ``login`` and ``oauth_login`` messages would carry."""
    params = dict(parse_qsl(urlsplit(url).query))
    async with aiohttp.ClientSession() as http:

        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            async with http.post(f"{stack_thread.url}/signin/api/{path}", json=body) as answer:
                assert answer.status == 200, await answer.text()
                return await answer.json()

        session = await post("login", {"email": EMAIL, "password": PASSWORD})
        token = session["sessionToken"]
        code = stack_thread.call(_last_code(stack_thread))
        await post("verify", {"session_token": token, "code": code})
        grant = await post("authorize", {**params, "session_token": token})
    return {
        "login": {"uid": session["uid"], "email": session["email"], "verified": True},
        "oauth_login": {"code": grant["code"], "state": grant["state"]},
    }


async def _last_code(stack_thread: Any) -> str:
    return stack_thread.stack.fxa.last_code(EMAIL)


async def test_the_page_signs_the_daemon_in_without_a_password(
    daemon: DaemonProcess, stack_thread, keyring_file: Path
) -> None:
    stack_account = create_account(stack_thread)
    extension = await FakeExtension("p-web").connect(daemon.paths.socket_path)
    try:
        begun = await extension.request("login.web.begin", {"server": stack_thread.url})
        assert set(begun) == {"url", "origin", "state"}
        assert begun["origin"] == stack_thread.url
        assert begun["url"].startswith(stack_thread.url + "/?context=oauth_webchannel_v1&")
        assert f"state={begun['state']}" in begun["url"]

        page = await page_sign_in(stack_thread, begun["url"])
        done = await extension.request(
            "login.web.complete",
            {
                "state": page["oauth_login"]["state"],
                "code": page["oauth_login"]["code"],
                "login": page["login"],
            },
        )
        assert done == {"state": "signed-in", "email": EMAIL}
        status = await extension.wait_status(lambda s: s["signed_in"])
        assert status["email"] == EMAIL and status["server"] == stack_thread.url
        # The flow is spent: the same answer again finds nothing to complete.
        again = await extension.request_raw(
            "login.web.complete",
            {
                "state": page["oauth_login"]["state"],
                "code": page["oauth_login"]["code"],
                "login": page["login"],
            },
        )
        assert again["error"]["code"] == "no-pending-sign-in"
    finally:
        await extension.close()
    account = read_json(daemon.paths.account_file)
    assert account["uid"] == stack_account.uid
    stored = json.loads(read_json(keyring_file)[f"foxbridge/{stack_account.uid}"])
    assert stored["session_token"] is None and stored["refresh_token"]
    device = stack_thread.stack.fxa.state.devices[account["device_id"]]
    assert device.name == account["device_name"]
    daemon.stop()
    for written in (daemon.paths.log_file, daemon.output):
        text = read_text(written)
        assert PASSWORD not in text and stored["refresh_token"] not in text


async def test_a_wrong_state_is_refused_and_the_real_answer_still_completes(
    daemon: DaemonProcess, stack_thread
) -> None:
    create_account(stack_thread)
    begun = await call(daemon.paths, "login.web.begin", {"server": stack_thread.url})
    page = await page_sign_in(stack_thread, begun["url"])
    extension = await FakeExtension("p-web2").connect(daemon.paths.socket_path)
    try:
        forged = await extension.request_raw(
            "login.web.complete",
            {"state": "A" * 22, "code": page["oauth_login"]["code"], "login": page["login"]},
        )
        assert forged["error"]["code"] == "auth"
        # Without the page's login message the profile server alone says who signed in.
        done = await extension.request(
            "login.web.complete", {"state": begun["state"], "code": page["oauth_login"]["code"]}
        )
        assert done == {"state": "signed-in", "email": EMAIL}
    finally:
        await extension.close()


async def test_malformed_answers_are_refused_with_plain_errors(daemon: DaemonProcess) -> None:
    good = {"state": "A" * 22, "code": "0" * 64, "login": {"uid": "0" * 32, "email": "a@b.c"}}
    bad_ones = [
        {**good, "code": "not a code"},
        {**good, "state": "x"},
        {**good, "login": {"uid": "0" * 32, "email": "a@b.c", "sessionToken": "f" * 64}},
        {**good, "login": "a@b.c"},
        {**good, "extra": 1},
    ]
    extension = await FakeExtension("p-web3").connect(daemon.paths.socket_path)
    try:
        for params in bad_ones:
            answer = await extension.request_raw("login.web.complete", params)
            assert answer["error"]["code"] == "bad-params", params
            assert "f" * 64 not in answer["error"]["message"]
        nothing = await extension.request_raw("login.web.complete", good)
        assert nothing["error"]["code"] == "no-pending-sign-in"
        bad_client = await extension.request_raw("login.web.begin", {"client_id": "x"})
        assert bad_client["error"]["code"] == "bad-params"
    finally:
        await extension.close()


# -- foxbridge login --browser ------------------------------------------------------------


class PageOpeningExtension(FakeExtension):
    """A fake extension that records the daemon's ``login.web.open`` notifications."""

    def __init__(self, profile_id: str) -> None:
        super().__init__(profile_id)
        self.opened: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def _read_loop(self) -> None:
        while True:
            header = await self._reader.readexactly(4)
            payload = await self._reader.readexactly(int.from_bytes(header, "little"))
            message = json.loads(payload)
            if message.get("method") == "login.web.open" and "id" not in message:
                self.opened.put_nowait(message["params"])
            elif "method" in message and "id" in message:
                await self.send({"id": message["id"], "result": self._answer(message)})
            elif message.get("id") in self._pending:
                self._pending.pop(message["id"]).set_result(message)


async def run_login_browser(daemon: DaemonProcess, server: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "daemon",
        "login",
        "--browser",
        "--server",
        server,
        cwd=REPO,
        env=daemon.env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_login_browser_has_a_connected_browser_open_the_page(
    daemon: DaemonProcess, stack_thread
) -> None:
    create_account(stack_thread)
    extension = await PageOpeningExtension("p-cli").connect(daemon.paths.socket_path)
    try:
        cli = await run_login_browser(daemon, stack_thread.url)
        opened = await asyncio.wait_for(extension.opened.get(), 30)
        assert set(opened) == {"url", "origin", "state"}
        page = await page_sign_in(stack_thread, opened["url"])
        await extension.request(
            "login.web.complete",
            {"state": opened["state"], "code": page["oauth_login"]["code"], "login": page["login"]},
        )
        out, err = await asyncio.wait_for(cli.communicate(), 30)
    finally:
        await extension.close()
    assert cli.returncode == 0, err
    assert f"Signed in as {EMAIL}" in out.decode()
    assert "Chromium Test" in err.decode()  # which browser shows the page


async def test_login_browser_without_a_browser_explains_why_the_extension_is_needed(
    daemon: DaemonProcess, stack_thread
) -> None:
    cli = await run_login_browser(daemon, stack_thread.url)
    _, err = await asyncio.wait_for(cli.communicate(), 30)
    assert cli.returncode == 2
    message = err.decode()
    assert "needs the foxbridge extension" in message and "No browser" in message
    assert "Traceback" not in message


async def test_login_browser_without_a_daemon_says_what_to_start(
    short_home: Path, keyring_file: Path
) -> None:
    cli = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "daemon",
        "login",
        "--browser",
        cwd=REPO,
        env=daemon_env(short_home, keyring_file),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(cli.communicate(), 30)
    assert cli.returncode == 2
    assert "Start the daemon" in err.decode() and "Traceback" not in err.decode()


# -- the flow's lifetime, on the daemon's clock -------------------------------------------


async def _nothing(account: object) -> None:
    return None


async def test_a_flow_lives_15_minutes_and_a_new_one_replaces_it(paths, memory_keyring) -> None:
    from daemon.fxa.web_login import FLOW_LIFETIME, WebSignInRefusedError
    from daemon.service.clock import ManualClock
    from daemon.service.web_signin import NoWebSignInError, WebSignIn

    clock = ManualClock()
    async with aiohttp.ClientSession() as http:
        flows = WebSignIn(paths, http, clock, _nothing)
        first = await flows.begin(None, None)  # Mozilla's servers: nothing is fetched yet
        assert first["origin"] == "https://accounts.firefox.com"
        assert "client_id=5882386c6d801776" in first["url"]
        second = await flows.begin(None, None)
        assert second["state"] != first["state"]
        with pytest.raises(WebSignInRefusedError):  # the first flow is gone
            await flows.complete(first["state"], "0" * 64, None)
        assert flows.pending is not None  # a stray answer does not end the real flow
        clock.advance(FLOW_LIFETIME)
        with pytest.raises(NoWebSignInError):
            await flows.complete(second["state"], "0" * 64, None)


async def test_the_page_can_sign_in_to_mozilla_with_our_own_sync_storage(
    paths, memory_keyring
) -> None:
    from daemon.service.clock import ManualClock
    from daemon.service.web_signin import WebSignIn

    async with aiohttp.ClientSession() as http:
        flows = WebSignIn(paths, http, ManualClock(), _nothing)
        begun = await flows.begin(None, None, token_server="https://sync.example.org/token")
        assert begun["origin"] == "https://accounts.firefox.com"  # Mozilla's page signs in…
        servers = flows.pending.servers
        assert servers.token_server_url == "https://sync.example.org/token/1.0/sync/1.5"
        assert servers.auth_url == "https://api.accounts.firefox.com/v1"  # …our storage keeps
