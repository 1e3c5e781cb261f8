"""``foxbridge login``, ``status`` and ``logout`` end to end: real subprocesses, the stack on
a real port, an isolated ``FOXBRIDGE_HOME``, and a keyring shared between the processes
(the real Secret Service when a D-Bus session has one, else a test backend)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from daemon.errors import ExitStatus

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pässwörd with spaces"


def control(stack_thread: Any, path: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{stack_thread.url}/__stack__/{path}",
        data=data,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def real_keyring_available() -> bool:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    from tests.keyring.test_secret_service import uses_secret_service

    return uses_secret_service()


@pytest.fixture(params=["test-backend", "secret-service"])
def cli_env(request, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["FOXBRIDGE_HOME"] = str(tmp_path / "home")
    env.pop("PYTHON_KEYRING_BACKEND", None)
    if request.param == "test-backend":
        env["PYTHON_KEYRING_BACKEND"] = "tests.keyring.file_backend.SharedFileKeyring"
        env["FOXBRIDGE_TEST_KEYRING_FILE"] = str(tmp_path / "keyring.json")
    elif not real_keyring_available():
        pytest.skip("no Secret Service on a D-Bus session here (tests/run.sh provides one)")
    return env


def foxbridge(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "daemon", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


def stored_secrets(env: dict[str, str], uid: str) -> dict[str, str]:
    """Read the account's keyring entry the way the CLI does (same backend)."""
    script = (
        "import json, keyring, sys; print(keyring.get_password('foxbridge', sys.argv[1]) or 'null')"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, uid],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=30,
        check=True,
    )
    return json.loads(out.stdout)


def test_login_with_an_email_code_then_status_and_logout(stack_thread, cli_env):
    email = "Pat@Example.org"
    created = control(stack_thread, "accounts", {"email": email, "password": PASSWORD})

    first = foxbridge(
        cli_env,
        "login",
        "--email",
        email,
        "--password-stdin",
        "--server",
        stack_thread.url,
        stdin=PASSWORD + "\n",
    )
    assert first.returncode == ExitStatus.CODE_REQUIRED, first.stderr
    assert first.stderr.count("\n") == 1
    assert "code was sent to your email" in first.stderr
    assert f"foxbridge login --email {email} --code CODE" in first.stderr

    waiting = foxbridge(cli_env, "status", "--json")
    assert waiting.returncode == ExitStatus.NOT_SIGNED_IN
    assert json.loads(waiting.stdout) == {
        "signed_in": False,
        "pending": {"email": email, "kind": "email"},
    }

    mailbox = control(stack_thread, f"mailbox?email={urllib.parse.quote(email)}")
    code = mailbox["messages"][-1]["code"]
    second = foxbridge(cli_env, "--verbose", "login", "--email", email, "--code", code)
    assert second.returncode == 0, second.stderr
    assert f"Signed in as {email}" in second.stdout

    status = foxbridge(cli_env, "status", "--json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["signed_in"] is True
    assert report["email"] == email
    assert report["uid"] == created["uid"]
    assert report["session"] == "verified" and report["tokens_fresh"] is True
    assert report["servers"]["token_server_url"] == f"{stack_thread.url}/token/1.0/sync/1.5"
    assert report["device"]["name"].startswith("Chrome on ")

    text = foxbridge(cli_env, "status")
    assert text.returncode == 0, text.stderr
    assert f"Signed in as   {email}" in text.stdout
    assert "Session        valid" in text.stdout
    assert "Last sync      never" in text.stdout

    # Nothing secret in any output or file foxbridge wrote.
    entry = stored_secrets(cli_env, created["uid"])
    secret_values = [PASSWORD, entry["session_token"], entry["refresh_token"], entry["ksync"]]
    outputs = [p.stdout + p.stderr for p in (first, second, status, text)]
    home = Path(cli_env["FOXBRIDGE_HOME"])
    files = [f.read_text(errors="replace") for f in home.rglob("*") if f.is_file()]
    for text in outputs + files:
        for secret in secret_values:
            assert secret not in text

    logout = foxbridge(cli_env, "logout")
    assert logout.returncode == 0, logout.stderr
    assert "Signed out" in logout.stdout
    assert stored_secrets(cli_env, created["uid"]) is None
    after = foxbridge(cli_env, "status", "--json")
    assert after.returncode == ExitStatus.NOT_SIGNED_IN
    assert json.loads(after.stdout) == {"signed_in": False}


def test_plain_errors(stack_thread, cli_env):
    control(stack_thread, "accounts", {"email": "quinn@example.org", "password": PASSWORD})
    wrong = foxbridge(
        cli_env,
        "login",
        "--email",
        "quinn@example.org",
        "--password-stdin",
        "--server",
        stack_thread.url,
        stdin="not it\n",
    )
    assert wrong.returncode == ExitStatus.AUTH
    assert wrong.stderr == "foxbridge: Incorrect password.\n"

    insecure = foxbridge(
        cli_env,
        "login",
        "--email",
        "quinn@example.org",
        "--password-stdin",
        "--server",
        "http://accounts.example.org",
        stdin=PASSWORD + "\n",
    )
    assert insecure.returncode == ExitStatus.USAGE
    assert insecure.stderr.startswith("foxbridge: Refusing plain http for accounts.example.org")
    assert "Traceback" not in insecure.stderr

    logout = foxbridge(cli_env, "logout")
    assert logout.returncode == ExitStatus.NOT_SIGNED_IN
    assert logout.stderr.count("\n") == 1


def test_no_keyring_is_explained_before_the_password_is_asked(stack_thread, tmp_path: Path):
    env = dict(os.environ)
    env["FOXBRIDGE_HOME"] = str(tmp_path / "home")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    result = foxbridge(env, "login", "--email", "a@example.org", "--server", stack_thread.url)
    assert result.returncode == ExitStatus.KEYRING
    # The whole of stderr is the one explanation: no password prompt came before it.
    assert result.stderr.startswith("foxbridge: No OS keyring is available")
    assert result.stderr.count("\n") == 1
