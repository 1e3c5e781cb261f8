"""How ``foxbridge login`` gets the password: never a traceback, never an echoing prompt."""

from __future__ import annotations

import getpass
import io
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.cli.login import read_password
from daemon.errors import ExitStatus, FoxbridgeError

ROOT = Path(__file__).resolve().parents[2]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_without_a_terminal_the_password_must_come_from_stdin(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "daemon", "login", "--email", "a@example.org"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={
            "FOXBRIDGE_HOME": str(tmp_path / "home"),
            "PYTHON_KEYRING_BACKEND": "tests.keyring.file_backend.SharedFileKeyring",
            "FOXBRIDGE_TEST_KEYRING_FILE": str(tmp_path / "keyring.json"),
            "PATH": "/usr/bin:/bin",
        },
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == ExitStatus.USAGE
    assert result.stderr == (
        "foxbridge: No terminal to ask for the password on: pass it with --password-stdin.\n"
    )


def test_end_of_input_at_the_prompt_is_no_password(monkeypatch):
    def end_of_input(prompt: str) -> str:
        raise EOFError

    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(getpass, "getpass", end_of_input)
    with pytest.raises(FoxbridgeError, match="No password given") as raised:
        read_password(from_stdin=False)
    assert raised.value.status == ExitStatus.USAGE


def test_the_prompt_and_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(getpass, "getpass", lambda prompt: "typed secret")
    assert read_password(from_stdin=False) == "typed secret"
    monkeypatch.setattr(sys, "stdin", io.StringIO("piped secret\r\n"))
    assert read_password(from_stdin=True) == "piped secret"
