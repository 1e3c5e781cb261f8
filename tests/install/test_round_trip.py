"""The real thing on this machine: install, doctor, a native message through the
registered launcher, real host and real daemon, then uninstall leaving nothing behind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.paths import Paths
from host import EXTENSION_ORIGIN, HOST_NAME
from install import daemon_process
from tests.install.real_machine import (
    REPO,
    everything_under,
    foxbridge,
    native_exchange,
    run,
    sandbox_env,
    with_checkout,
)


def _stop_daemon_of(foxbridge_home: Path) -> None:
    """If a test failed half-way, its daemon must not outlive it."""
    root = foxbridge_home
    paths = Paths(root / "config", root / "data", root / "log", root / "run")
    daemon_process.stop(paths)


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    home = tmp_path / "foxbridge-home"
    home.mkdir()
    env = sandbox_env(tmp_path, foxbridge_home=home)
    yield tmp_path, env
    _stop_daemon_of(home)


def test_install_doctor_message_uninstall(machine, stack_thread) -> None:
    root, env = machine
    profile = root / "profile"
    before = everything_under(root, skip=("cache", "pylib"))

    installed = foxbridge(env, "install", "--user-data-dir", str(profile))
    assert installed.returncode == 0, installed.stderr
    assert "no systemd user manager" in installed.stdout
    assert "started the daemon" in installed.stdout

    again = foxbridge(env, "install", "--user-data-dir", str(profile))
    assert again.returncode == 0, again.stderr
    assert "everything was already up to date" in again.stdout
    assert "✓" not in again.stdout

    doctor = foxbridge(env, "doctor", "--server", stack_thread.url)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "✗" not in doctor.stdout
    assert doctor.stdout.rstrip().endswith("All good.")
    for expected in (
        "host manifest",
        "daemon running",
        "mode 600",
        "the host starts",
        "autostart enabled (xdg)",
        "OS keyring usable",
        "token server reachable",
    ):
        assert expected in doctor.stdout

    manifest = json.loads((profile / "NativeMessagingHosts" / f"{HOST_NAME}.json").read_text())
    answer, status = native_exchange(
        manifest["path"], EXTENSION_ORIGIN, {"id": "e1", "method": "status", "params": {}}, env
    )
    assert answer["id"] == "e1"
    assert answer["result"]["signed_in"] is False
    assert status == 0

    removed = foxbridge(env, "uninstall", "--purge")
    assert removed.returncode == 0, removed.stderr
    assert "stopped the daemon" in removed.stdout
    assert everything_under(root, skip=("cache", "pylib")) == before


def test_an_extra_origin_reaches_the_real_host(machine) -> None:
    root, env = machine
    other = "chrome-extension://abcdefghijklmnopabcdefghijklmnop/"
    profile = root / "profile"
    installed = foxbridge(
        env, "install", "--user-data-dir", str(profile), "--extra-origin", other, "--no-autostart"
    )
    assert installed.returncode == 0, installed.stderr
    manifest = json.loads((profile / "NativeMessagingHosts" / f"{HOST_NAME}.json").read_text())
    assert manifest["allowed_origins"] == [EXTENSION_ORIGIN, other]

    request = {"id": "e7", "method": "status", "params": {}}
    answer, status = native_exchange(manifest["path"], other, request, env)
    assert answer["result"]["signed_in"] is False
    assert status == 0
    stranger = "chrome-extension://pppppppppppppppppppppppppppppppp/"
    refused = run([manifest["path"], stranger], with_checkout(env))
    assert refused.returncode == 2
    assert "refusing the caller" in refused.stderr

    assert foxbridge(env, "uninstall", "--purge").returncode == 0


def test_install_refuses_a_bad_origin_plainly(machine) -> None:
    _, env = machine
    refused = foxbridge(env, "install", "--extra-origin", "https://evil.example/")
    assert refused.returncode == 1
    assert refused.stderr.startswith("foxbridge: 'https://evil.example/' is not an extension")
    assert "Traceback" not in refused.stderr


def test_doctor_explains_a_missing_installation(machine) -> None:
    _, env = machine
    doctor = foxbridge(env, "doctor", "--server", "http://127.0.0.1:9")
    assert doctor.returncode == 1
    assert "✗ foxbridge is not installed — run 'foxbridge install'" in doctor.stdout
    assert "✗ server http://127.0.0.1:9" in doctor.stdout


def test_install_sh_from_source_to_uninstall(tmp_path: Path) -> None:
    """install.sh builds its own environment: the one slow test (about half a minute)."""
    env = sandbox_env(tmp_path, foxbridge_home=None)
    home = Path(env["HOME"])
    (home / ".local" / "bin").mkdir(parents=True)  # as in most homes; kept on uninstall
    profile = tmp_path / "profile"
    before = everything_under(tmp_path, skip=("cache", "pylib"))
    data = home / ".local/share/foxbridge"
    try:
        done = run(["sh", str(REPO / "install/install.sh"), "--user-data-dir", str(profile)], env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"choose this folder:\n       {data / 'extension'}" in done.stdout
        assert "edge://extensions" in done.stdout
        assert "is not on your PATH" in done.stdout
        assert (data / "extension" / "manifest.json").is_file()
        assert not (data / "extension" / "node_modules").exists()
        command = home / ".local/bin/foxbridge"
        assert command.resolve() == (data / "venv/bin/foxbridge").resolve()

        rerun = run(["sh", str(REPO / "install/install.sh"), "--user-data-dir", str(profile)], env)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert "everything was already up to date" in rerun.stdout
        assert "· using the environment" in rerun.stdout
        assert "foxbridge in" in rerun.stdout and "is already up to date" in rerun.stdout

        doctor = run([str(command), "doctor", "--server", "http://127.0.0.1:9"], env)
        lines = doctor.stdout.splitlines()
        assert any(line.startswith("✓ the host starts through the launcher") for line in lines)
        assert any(line.startswith("✓ daemon running") for line in lines)

        removed = run([str(command), "uninstall", "--purge"], env)
        assert removed.returncode == 0, removed.stdout + removed.stderr
    finally:
        runtime = Path(env["XDG_RUNTIME_DIR"]) / "foxbridge"
        paths = Paths(home / ".config/foxbridge", data, home / ".local/state/foxbridge", runtime)
        daemon_process.stop(paths)
    after = everything_under(tmp_path, skip=("cache", "pylib"))
    leftovers = {p for p in after - before if "foxbridge" in p or p.startswith("profile")}
    assert leftovers == set()
