"""``foxbridge sync --tree-file`` and ``foxbridge restore`` as real subprocesses, signed in to
the local stack over real HTTP (the keyring is a file shared by the processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from daemon.errors import ExitStatus
from tests.bookmarks.sync_support import bm, browser_tree, outline

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough password"


def control(stack_thread: Any, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        f"{stack_thread.url}/__stack__/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def cli(stack_thread, tmp_path: Path):
    env = dict(os.environ)
    env["FOXBRIDGE_HOME"] = str(tmp_path / "home")
    env["PYTHON_KEYRING_BACKEND"] = "tests.keyring.file_backend.SharedFileKeyring"
    env["FOXBRIDGE_TEST_KEYRING_FILE"] = str(tmp_path / "keyring.json")

    def foxbridge(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "daemon", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
        )

    email = "cli-sync@example.org"
    control(
        stack_thread, "accounts", {"email": email, "password": PASSWORD, "verification": "none"}
    )
    login = foxbridge(
        "login",
        "--email",
        email,
        "--password-stdin",
        "--server",
        stack_thread.url,
        stdin=PASSWORD + "\n",
    )
    assert login.returncode == 0, login.stderr
    return foxbridge


def test_sync_dry_run_brake_force_and_restore(cli, tmp_path):
    first = tmp_path / "first.json"
    tree = browser_tree(bar=[bm(f"B{i}", f"https://b{i}.example/") for i in range(10)])
    first.write_text(json.dumps(tree))

    dry = cli("sync", "--tree-file", str(first), "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout)
    assert report["dry_run"] and len(report["records"]) >= 10
    assert json.loads(first.read_text()) == tree  # the file is untouched

    synced = cli("sync", "--tree-file", str(first), "--json")
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)["uploaded"] >= 11
    assert "Bookmarks Menu" in first.read_text()  # the merged tree was written back

    second = tmp_path / "second.json"  # does not exist yet: an empty profile
    text = cli("sync", "--tree-file", str(second))
    assert text.returncode == 0, text.stderr
    assert outline(json.loads(second.read_text()))["Bookmarks bar"] == [
        (f"B{i}", f"https://b{i}.example/") for i in range(10)
    ]
    assert "This browser: 11 added." in text.stdout

    # Delete 8 of the 10 in the first file: the brake stops, --force applies.
    data = json.loads(first.read_text())
    data[0]["children"][0]["children"] = data[0]["children"][0]["children"][:2]
    first.write_text(json.dumps(data))
    stopped = cli("sync", "--tree-file", str(first))
    assert stopped.returncode == ExitStatus.SAFETY_BRAKE
    assert "would delete 8 of 10" in stopped.stderr and "B2" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    forced = cli("sync", "--tree-file", str(first), "--force")
    assert forced.returncode == 0, forced.stderr

    # The second profile follows (forced: it also loses 8 of 10), then restores its snapshot.
    assert cli("sync", "--tree-file", str(second)).returncode == ExitStatus.SAFETY_BRAKE
    follow = cli("sync", "--tree-file", str(second), "--force", "--json")
    assert follow.returncode == 0, follow.stderr
    snapshot = json.loads(follow.stdout)["snapshot"]
    listed = cli("restore", "--list", "--tree-file", str(second), "--json")
    assert snapshot in [entry["id"] for entry in json.loads(listed.stdout)]
    restored = cli("restore", snapshot, "--tree-file", str(second))
    assert restored.returncode == 0, restored.stderr
    assert len(outline(json.loads(second.read_text()))["Bookmarks bar"]) == 10
    again = cli("sync", "--tree-file", str(first), "--force", "--json")
    assert again.returncode == 0, again.stderr
    assert len(outline(json.loads(first.read_text()))["Bookmarks bar"]) == 10


def test_a_malformed_tree_file_is_a_clear_error(cli, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": "0", "children": [{"id": "1", "url": 5}]}]')
    result = cli("sync", "--tree-file", str(bad))
    assert result.returncode == ExitStatus.FAILURE
    assert result.stderr.startswith("foxbridge: Bookmark 1 has a malformed URL.")
    assert "Traceback" not in result.stderr
