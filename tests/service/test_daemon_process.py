"""The real daemon process (``python -m daemon daemon``) against the real local stack.

A fake extension (tests/service/fake_extension.py) speaks docs/ipc.md over the daemon's
socket; the stack runs in a thread on a real port; secrets go to a file-backed test
keyring shared between the test and the daemon process.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.paths import Paths
from daemon.service.client import DaemonNotRunningError, call
from tests.service.fake_extension import FakeExtension

REPO = Path(__file__).resolve().parents[2]
EMAIL = "daemon-user@example.com"
PASSWORD = "a long and lovely password"


def daemon_env(home: Path, keyring_file: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        FOXBRIDGE_HOME=str(home),
        PYTHONPATH=str(REPO),
        PYTHON_KEYRING_BACKEND="tests.keyring.file_backend.SharedFileKeyring",
        FOXBRIDGE_TEST_KEYRING_FILE=str(keyring_file),
    )
    return env


class DaemonProcess:
    def __init__(self, home: Path, keyring_file: Path) -> None:
        self.home = home
        self.paths = Paths(home / "config", home / "data", home / "log", home / "run")
        self.env = daemon_env(home, keyring_file)
        self.output = home / "daemon.out"
        self.process = self.spawn()
        self._wait_ready()

    def spawn(self) -> subprocess.Popen[bytes]:
        with open(self.output, "ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "daemon", "daemon", "--foreground"],
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )

    def _wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the daemon exited early:\n{self.output.read_text()}")
            if self._connectable():
                return
            time.sleep(0.02)  # bounded polling until the daemon answers on its socket
        raise AssertionError("the daemon's socket never appeared")

    def _connectable(self) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(self.paths.socket_path))
            except OSError:
                return False
            return True

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("the daemon did not stop on SIGTERM") from None


@pytest.fixture
def keyring_file(tmp_path: Path) -> Path:
    return tmp_path / "keyring.json"


@pytest.fixture
def daemon(short_home: Path, keyring_file: Path) -> Iterator[DaemonProcess]:
    running = DaemonProcess(short_home, keyring_file)
    yield running
    running.stop()
    for log in (running.output, running.paths.log_file):
        if log.exists():  # shown by pytest when the test failed
            print(f"--- {log.name}\n{log.read_text(errors='replace')}")


def create_account(stack_thread, verification: str = "email-otp"):
    async def create():
        return stack_thread.stack.fxa.create_account(EMAIL, PASSWORD, verification=verification)

    return stack_thread.call(create())


async def sign_in(extension: FakeExtension, stack_thread) -> None:
    first = await extension.request(
        "login.password", {"email": EMAIL, "password": PASSWORD, "server": stack_thread.url}
    )
    assert first == {"state": "code-required", "kind": "email"}
    code = stack_thread.call(_last_code(stack_thread))
    assert await extension.request("login.code", {"code": code}) == {"state": "signed-in"}


def run_cli(
    daemon: DaemonProcess, args: list[str], stdin: str, stack_thread
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "daemon", *args, "--server", stack_thread.url],
        cwd=REPO,
        env=daemon.env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def read_json(path: Path) -> object:
    return json.loads(path.read_text())


async def _last_code(stack_thread) -> str:
    return stack_thread.stack.fxa.last_code(EMAIL)


# -- the process --------------------------------------------------------------------------


def test_the_socket_is_private_and_a_second_daemon_leaves_the_first_alone(
    daemon: DaemonProcess,
) -> None:
    assert stat.S_IMODE(daemon.paths.socket_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(daemon.paths.runtime_dir.stat().st_mode) == 0o700
    second = subprocess.run(
        [sys.executable, "-m", "daemon", "daemon"],
        cwd=REPO,
        env=daemon.env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert second.returncode == 0
    assert "already running" in second.stderr
    assert daemon.process.poll() is None
    assert daemon.paths.socket_path.exists()


def test_sigterm_removes_the_socket_and_releases_the_lock(daemon: DaemonProcess) -> None:
    assert daemon.stop() == 0
    assert not daemon.paths.socket_path.exists()
    daemon.process = daemon.spawn()  # the lock is free: a new daemon starts
    daemon._wait_ready()
    assert daemon.stop() == 0


async def test_the_cli_client_asks_the_daemon(daemon: DaemonProcess) -> None:
    status = await call(daemon.paths, "status")
    assert status["state"] == "signed-out" and status["signed_in"] is False
    with pytest.raises(Exception, match="Not signed in"):
        await call(daemon.paths, "sync.now")
    daemon.stop()
    with pytest.raises(DaemonNotRunningError):
        await call(daemon.paths, "status")


async def test_bad_messages_are_answered_and_the_daemon_lives_on(daemon: DaemonProcess) -> None:
    extension = await FakeExtension("p-bad").connect(daemon.paths.socket_path, hello=False)
    try:
        answer = await extension.request_raw("tree.explode", {})
        assert answer["error"]["code"] == "unknown-method"
        answer = await extension.request_raw("settings.set", {"sync_interval": 1})
        assert answer["error"]["code"] == "bad-params"
        await extension.request("hello", {"role": "cli"})
        answer = await extension.request_raw("hello", {"role": "cli"})
        assert answer["error"]["code"] == "wrong-role"  # one hello per connection
        extension._writer.write(b"\x05\x00\x00\x00{nope")
        answer = await extension.request_raw("settings.get", {})  # answered after the garbage
        assert answer["result"]["sync_interval"] == 60
    finally:
        await extension.close()
    assert (await call(daemon.paths, "status"))["state"] == "signed-out"


async def test_settings_are_validated_persisted_and_pause_survives_a_restart(
    daemon: DaemonProcess,
) -> None:
    changed = await call(daemon.paths, "settings.set", {"sync_interval": 300})
    assert changed["sync_interval"] == 300
    assert (await call(daemon.paths, "sync.pause"))["paused"] is True
    saved = json.loads(daemon.paths.settings_file.read_text())
    assert saved["sync_interval"] == 300 and saved["paused"] is True
    daemon.stop()
    daemon.process = daemon.spawn()
    daemon._wait_ready()
    status = await call(daemon.paths, "status")
    assert status["paused"] is True
    assert (await call(daemon.paths, "settings.get"))["sync_interval"] == 300


async def test_sign_in_through_an_email_code_over_ipc(
    daemon: DaemonProcess, stack_thread, keyring_file: Path
) -> None:
    create_account(stack_thread)
    extension = await FakeExtension("p-login").connect(daemon.paths.socket_path)
    try:
        assert extension.hello_answer["status"]["state"] == "signed-out"
        wrong = await extension.request_raw("login.code", {"code": "000000"})
        assert wrong["error"]["code"] == "no-pending-sign-in"
        await sign_in(extension, stack_thread)
        status = await extension.wait_status(lambda s: s["signed_in"])
        assert status["email"] == EMAIL
        assert status["server"] == stack_thread.url
    finally:
        await extension.close()
    account = json.loads(daemon.paths.account_file.read_text())
    assert account["email"] == EMAIL
    # The password went nowhere: not the account file, the keyring, the settings or the log.
    daemon.stop()
    for written in (
        daemon.paths.account_file,
        keyring_file,
        daemon.paths.log_file,
        daemon.output,
    ):
        if written.exists():
            assert PASSWORD not in written.read_text(errors="replace"), written


async def test_a_wrong_password_is_a_plain_error(daemon: DaemonProcess, stack_thread) -> None:
    create_account(stack_thread)
    answer = await _request_once(
        daemon, "login.password", {"email": EMAIL, "password": "wrong", "server": stack_thread.url}
    )
    assert answer["error"]["code"] == "auth"
    assert "wrong" not in answer["error"]["message"].split()
    answer = await _request_once(
        daemon, "login.password", {"email": EMAIL, "password": "x", "server": "http://example.com"}
    )
    assert answer["error"]["code"] == "bad-params"  # plain http is for loopback only


async def _request_once(daemon: DaemonProcess, method: str, params: dict) -> dict:
    extension = await FakeExtension("p-once").connect(daemon.paths.socket_path, hello=False)
    try:
        return await extension.request_raw(method, params)
    finally:
        await extension.close()


# -- syncing ------------------------------------------------------------------------------

needs_engine = pytest.mark.skipif(
    not (REPO / "daemon" / "bookmarks" / "engine.py").exists(),
    reason="the bookmark engine (daemon/bookmarks/engine.py) is not in this checkout yet",
)


@contextlib.asynccontextmanager
async def signed_in_extension(
    daemon: DaemonProcess, stack_thread, profile_id: str, *, firefox_first: bool = False
):
    create_account(stack_thread)
    if firefox_first:  # a Firefox set the account up (meta/global, keys, the roots)
        from tests.e2e.remote import RemoteBookmarks

        RemoteBookmarks(stack_thread, EMAIL).set_up()
    extension = await FakeExtension(profile_id).connect(daemon.paths.socket_path)
    try:
        await sign_in(extension, stack_thread)
        yield extension
    finally:
        await extension.close()


@needs_engine
async def test_a_browser_bookmark_reaches_the_server(daemon: DaemonProcess, stack_thread) -> None:
    from tests.e2e.remote import RemoteBookmarks

    async with signed_in_extension(daemon, stack_thread, "p-up") as extension:
        first = await extension.wait_synced()
        assert first["state"] == "idle" and first["last_sync"]["ok"], first
        assert "tree.get" in extension.requests_seen
        mark = len(extension.statuses)
        bookmark = extension.tree.create("1", "Foxbridge", "https://foxbridge.example/")
        await extension.changed(("created", bookmark))
        assert (await extension.wait_synced(after=mark))["state"] == "idle"
    remote = RemoteBookmarks(stack_thread, EMAIL)
    found = remote.find(bmkUri="https://foxbridge.example/")
    assert [record["parentid"] for record in found] == ["toolbar"]
    assert "Foxbridge" in remote.children_titles("toolbar")


@needs_engine
async def test_a_server_record_appears_in_the_browser_after_sync_now(
    daemon: DaemonProcess, stack_thread
) -> None:
    from tests.e2e.remote import RemoteBookmarks

    async with signed_in_extension(daemon, stack_thread, "p-down", firefox_first=True) as extension:
        await extension.wait_synced()
        remote = RemoteBookmarks(stack_thread, EMAIL)
        remote.insert("toolbar", 0, title="From Firefox", url="https://firefox.example/")
        mark = len(extension.statuses)
        assert (await extension.request("sync.now", {}))["started"] is True
        assert (await extension.wait_synced(after=mark))["state"] == "idle"
        node = extension.tree.find("From Firefox")
        assert node is not None and node["parentId"] == "1"
        assert extension.tree.titles_in("1")[0] == "From Firefox"


@needs_engine
async def test_a_sync_with_nothing_changed_anywhere_does_not_read_the_tree(
    daemon: DaemonProcess, stack_thread
) -> None:
    from tests.e2e.remote import RemoteBookmarks

    async with signed_in_extension(daemon, stack_thread, "p-noop") as extension:
        await extension.wait_synced()
        mark = len(extension.statuses)
        bookmark = extension.tree.create("1", "Edited", "https://edited.example/")
        await extension.changed(("created", bookmark))
        await extension.wait_synced(after=mark)
        reads = extension.requests_seen.count("tree.get")

        mark = len(extension.statuses)
        await extension.request("sync.now", {})
        assert (await extension.wait_synced(after=mark))["state"] == "idle"
        assert extension.requests_seen.count("tree.get") == reads

        # A change reported since: the next sync reads the tree again and uploads it.
        mark = len(extension.statuses)
        extension.tree.update(bookmark, title="Edited again")
        await extension.changed(("changed", bookmark))
        await extension.wait_synced(after=mark)
        assert extension.requests_seen.count("tree.get") == reads + 1
    remote = RemoteBookmarks(stack_thread, EMAIL)
    assert "Edited again" in remote.children_titles("toolbar")


@needs_engine
async def test_two_profiles_sync_independently_through_one_account(
    daemon: DaemonProcess, stack_thread
) -> None:
    async with signed_in_extension(daemon, stack_thread, "p-one") as first:
        await first.wait_synced()
        second = await FakeExtension("p-two").connect(daemon.paths.socket_path)
        try:
            await second.wait_synced()
            mark = len(second.statuses)
            made = first.tree.create("2", "Shared", "https://shared.example/")
            await first.changed(("created", made))
            # The first profile uploads; the daemon then syncs the second one at once.
            await second.wait_synced(after=mark)
            assert second.tree.find("Shared")["parentId"] == "2"
            # One copy each (Other bookmarks also holds the "Bookmarks Menu" folder).
            assert first.tree.titles_in("2").count("Shared") == 1
            assert second.tree.titles_in("2").count("Shared") == 1
            assert first.tree.titles_in("2") == second.tree.titles_in("2")
        finally:
            await second.close()


async def test_a_cli_connection_is_never_asked_for_a_tree(
    daemon: DaemonProcess, stack_thread
) -> None:
    create_account(stack_thread)
    cli = await FakeExtension("unused").connect(daemon.paths.socket_path, hello=False)
    try:
        await cli.request("hello", {"role": "cli", "version": "0"})
        await sign_in(cli, stack_thread)
        assert await cli.request("sync.now", {}) == {"started": True, "profiles": 0}
        await cli.request("status", {})
        assert cli.requests_seen == []
        assert cli.statuses == []  # status notifications go to browser profiles only
    finally:
        await cli.close()


@needs_engine
async def test_the_servers_retry_after_puts_the_whole_daemon_in_backoff(
    daemon: DaemonProcess, stack_thread
) -> None:
    from fxstack.faults import Fault

    async with signed_in_extension(daemon, stack_thread, "p-busy") as extension:
        await extension.wait_synced()
        busy = Fault("/storage/", status=503, headers={"Retry-After": "1200"}, times=50)

        async def add_fault() -> None:
            stack_thread.stack.faults.add(busy)

        stack_thread.call(add_fault())
        mark = len(extension.statuses)
        asked_at = int(time.time() * 1000)
        await extension.request("sync.now", {})
        status = await extension.wait_status(lambda s: s["state"] == "backoff", after=mark)
        assert status["problem"]["retry_at"] >= asked_at + 1_190_000
        # Asking again does not reach the server before its time (the scheduler's tests
        # follow the wait to its end with a manual clock).
        assert (await extension.request("sync.now", {}))["started"] is False
        assert (await extension.request("status", {}))["state"] == "backoff"
    assert busy.times == 49  # one storage request met the 503; none was sent after it


async def test_logout_over_ipc_forgets_the_account(
    daemon: DaemonProcess, stack_thread, keyring_file: Path
) -> None:
    create_account(stack_thread, verification="none")
    extension = await FakeExtension("p-out").connect(daemon.paths.socket_path)
    try:
        signed_in = await extension.request(
            "login.password", {"email": EMAIL, "password": PASSWORD, "server": stack_thread.url}
        )
        assert signed_in == {"state": "signed-in"}
        assert daemon.paths.account_file.exists()
        mark = len(extension.statuses)
        assert await extension.request("logout", {}) == {}
        status = await extension.wait_status(lambda s: not s["signed_in"], after=mark)
        assert status["state"] == "signed-out" and status["email"] is None
    finally:
        await extension.close()
    assert not daemon.paths.account_file.exists()
    assert read_json(keyring_file) == {}


async def test_a_sign_in_from_the_command_line_is_noticed(
    daemon: DaemonProcess, stack_thread
) -> None:
    create_account(stack_thread, verification="none")
    login = run_cli(daemon, ["login", "--email", EMAIL, "--password-stdin"], PASSWORD, stack_thread)
    assert login.returncode == 0, login.stderr
    status = await call(daemon.paths, "status")
    assert status["signed_in"] is True and status["email"] == EMAIL


@needs_engine
async def test_a_malformed_tree_from_one_profile_does_not_stop_the_others(
    daemon: DaemonProcess, stack_thread
) -> None:
    async with signed_in_extension(daemon, stack_thread, "p-good") as good:
        await good.wait_synced()
        broken = FakeExtension("p-broken")
        broken.tree.get_tree = lambda: [{"id": "0", "children": "not a list"}]  # type: ignore[method-assign]
        await broken.connect(daemon.paths.socket_path)
        try:
            failed = await broken.wait_synced()
            assert failed["state"] == "error"
            assert failed["problem"]["code"] == "browser"
            mark = len(good.statuses)
            assert (await good.request("sync.now", {}))["started"] is True
            assert (await good.wait_synced(after=mark))["state"] == "idle"
        finally:
            await broken.close()


@needs_engine
async def test_the_safety_brake_waits_for_confirmation(daemon: DaemonProcess, stack_thread) -> None:
    from tests.e2e.remote import RemoteBookmarks

    async with signed_in_extension(
        daemon, stack_thread, "p-brake", firefox_first=True
    ) as extension:
        await extension.wait_synced()
        mark = len(extension.statuses)
        for number in range(10):
            extension.tree.create("1", f"Site {number}", f"https://site{number}.example/")
        await extension.changed(("created", None))
        await extension.wait_synced(after=mark)
        remote = RemoteBookmarks(stack_thread, EMAIL)
        for record in remote.find(type="bookmark"):
            remote.delete(record["id"])  # another client deletes everything

        mark = len(extension.statuses)
        await extension.request("sync.now", {})
        stopped = await extension.wait_synced(after=mark)
        assert stopped["state"] == "brake"
        assert stopped["brake"]["deletions"] == 10
        assert sorted(stopped["brake"]["preview"]) == sorted(f"Site {n}" for n in range(10))
        assert len(extension.tree.titles_in("1")) == 10  # nothing touched yet

        mark = len(extension.statuses)
        assert (await extension.request("sync.confirm", {}))["started"] is True
        assert (await extension.wait_synced(after=mark))["state"] == "idle"
        assert extension.tree.titles_in("1") == []


@needs_engine
async def test_snapshots_are_listed_and_restored_into_the_connected_browser(
    daemon: DaemonProcess, stack_thread
) -> None:
    from tests.e2e.remote import RemoteBookmarks

    async with signed_in_extension(daemon, stack_thread, "p-snap", firefox_first=True) as extension:
        await extension.wait_synced()
        mark = len(extension.statuses)
        for number in range(3):
            extension.tree.create("1", f"Keep {number}", f"https://keep{number}.example/")
        await extension.changed(("created", None))
        await extension.wait_synced(after=mark)
        remote = RemoteBookmarks(stack_thread, EMAIL)
        for record in remote.find(type="bookmark"):
            remote.delete(record["id"])
        mark = len(extension.statuses)
        await extension.request("sync.now", {})
        await extension.wait_synced(after=mark)  # three deletions: under the brake
        assert extension.tree.titles_in("1") == []

        listed = await extension.request("snapshots.list", {})
        assert listed and all(entry["profile"] == "p-snap" for entry in listed)
        before_deletion = listed[0]  # newest first: taken before the deleting sync
        assert before_deletion["local_count"] >= 3

        mark = len(extension.statuses)
        restored = await call(daemon.paths, "snapshots.restore", {"id": before_deletion["id"]})
        assert restored["restored"] is True and restored["changes"] >= 3
        assert (await extension.wait_synced(after=mark))["state"] == "idle"
        assert sorted(extension.tree.titles_in("1")) == ["Keep 0", "Keep 1", "Keep 2"]
    remote = RemoteBookmarks(stack_thread, EMAIL)
    assert sorted(r["title"] for r in remote.find(type="bookmark")) == [
        "Keep 0",
        "Keep 1",
        "Keep 2",
    ]


async def test_restoring_needs_the_snapshots_browser(daemon: DaemonProcess, stack_thread) -> None:
    create_account(stack_thread, verification="none")
    cli = await FakeExtension("unused").connect(daemon.paths.socket_path, hello=False)
    try:
        await cli.request("hello", {"role": "cli", "version": "0"})
        await cli.request(
            "login.password", {"email": EMAIL, "password": PASSWORD, "server": stack_thread.url}
        )
        answer = await cli.request_raw("snapshots.restore", {"id": "20260101T000000-abcdef"})
        assert answer["error"]["code"] == "failed"
        assert "no snapshot" in answer["error"]["message"].lower()
    finally:
        await cli.close()


@needs_engine
async def test_sigterm_during_a_sync_stops_promptly_and_the_next_daemon_finishes_it(
    daemon: DaemonProcess, stack_thread
) -> None:
    from tests.e2e.remote import RemoteBookmarks

    create_account(stack_thread, verification="none")
    RemoteBookmarks(stack_thread, EMAIL).set_up()
    stuck = FakeExtension("p-stuck")
    stuck.tree.create("1", "Pending", "https://pending.example/")
    stuck.unanswered.add("tree.get")  # the browser never answers: the sync hangs there
    await stuck.connect(daemon.paths.socket_path)
    try:
        await stuck.request(
            "login.password", {"email": EMAIL, "password": PASSWORD, "server": stack_thread.url}
        )
        await stuck.wait_asked("tree.get")
        started = time.monotonic()
        assert daemon.stop() == 0
        assert time.monotonic() - started < 5  # not the 60 s tree.get timeout
        assert not daemon.paths.socket_path.exists()
    finally:
        await stuck.close()

    daemon.process = daemon.spawn()
    daemon._wait_ready()
    extension = FakeExtension("p-stuck", stuck.tree)
    await extension.connect(daemon.paths.socket_path)
    try:
        assert (await extension.wait_synced())["state"] == "idle"
    finally:
        await extension.close()
    titles = [r["title"] for r in RemoteBookmarks(stack_thread, EMAIL).find(type="bookmark")]
    assert titles == ["Pending"]


async def test_a_killed_daemon_leaves_nothing_that_stops_the_next_one(
    daemon: DaemonProcess,
) -> None:
    daemon.process.kill()  # SIGKILL: no clean-up at all
    daemon.process.wait(timeout=10)
    assert daemon.paths.socket_path.exists()  # left behind…
    daemon.process = daemon.spawn()  # …and replaced: the kernel dropped the lock
    daemon._wait_ready()
    assert (await call(daemon.paths, "status"))["state"] == "signed-out"


@pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_the_daemon_runs_under_the_system_allocator(daemon: DaemonProcess) -> None:
    """So that malloc_trim can give a large sync's memory back (same process, same pid)."""
    environ = Path(f"/proc/{daemon.process.pid}/environ").read_bytes().split(b"\0")
    assert b"PYTHONMALLOC=malloc" in environ
