"""``foxbridge-stack`` by hand: it prints its URL and the codes it emails, and a person can
sign in against it with the CLI."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

from daemon.errors import ExitStatus

ROOT = Path(__file__).resolve().parents[2]


def test_sign_in_by_hand_against_the_standalone_stack(tmp_path: Path) -> None:
    stack = subprocess.Popen(
        [sys.executable, "-m", "fxstack", "--port", "0", "--account", "sam@example.org", "pw 1"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert stack.stdout is not None
    threading.Thread(target=lambda: [lines.put(x) for x in stack.stdout], daemon=True).start()
    try:
        url = ""
        while not url:
            line = lines.get(timeout=30)
            if "listening on" in line:
                url = line.split("listening on ")[1].strip()
        env = dict(os.environ)
        env["FOXBRIDGE_HOME"] = str(tmp_path / "home")
        env["PYTHON_KEYRING_BACKEND"] = "tests.keyring.file_backend.SharedFileKeyring"
        env["FOXBRIDGE_TEST_KEYRING_FILE"] = str(tmp_path / "keyring.json")

        def login(*extra: str, stdin: str = "") -> subprocess.CompletedProcess:
            return subprocess.run(
                [sys.executable, "-m", "daemon", "login", "--email", "sam@example.org", *extra],
                input=stdin,
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                timeout=60,
            )

        first = login("--password-stdin", "--server", url, stdin="pw 1\n")
        assert first.returncode == ExitStatus.CODE_REQUIRED, first.stderr
        mail = ""
        while "[mail]" not in mail:
            mail = lines.get(timeout=30)
        assert "to sam@example.org" in mail
        code = mail.rsplit(": ", 1)[1].strip()
        second = login("--code", code)
        assert second.returncode == 0, second.stderr
    finally:
        stack.terminate()
        stack.wait(timeout=10)
