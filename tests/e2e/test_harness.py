"""The harness itself, proven with a probe extension and a stand-in echo daemon: real
headless Chromium starts the real host through its registration, the host starts the
daemon, and messages (large ones too) make the round trip."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright

from host import EXTENSION_ID, EXTENSION_ORIGIN
from host.launcher import DAEMON_COMMAND_ENV
from tests.e2e.browser import BrowserProfile, launch_profile, register_host, write_host_wrapper
from tests.e2e.conftest import kill_from_pid_file

pytestmark = pytest.mark.e2e

STAND_IN = Path(__file__).resolve().parents[1] / "host" / "doubles.py"

# Connect, send the messages, and collect what comes back until `count` messages arrived
# (chunks reassembled the way the extension does it).
ROUND_TRIP = """async ([messages, count]) => {
    const port = chrome.runtime.connectNative("org.foxbridge.host");
    const received = [];
    const parts = new Map();
    const done = new Promise((resolve, reject) => {
        port.onMessage.addListener(message => {
            if (message.chunk) {
                const { id, index, count: total, data } = message.chunk;
                const list = parts.get(id) || [];
                list[index] = data;
                parts.set(id, list);
                if (list.filter(x => x !== undefined).length < total) return;
                message = JSON.parse(list.join(""));
                message.arrivedInChunks = total;
            }
            received.push(message);
            if (received.length === count) resolve(received);
        });
        port.onDisconnect.addListener(() =>
            reject(new Error(chrome.runtime.lastError?.message || "disconnected")));
    });
    messages.forEach(m => port.postMessage(m));
    try { return await done; } finally { port.disconnect(); }
}"""


@pytest.fixture
def echo_profile(
    playwright: Playwright, probe_extension: Path, e2e_home: Path, tmp_path: Path
) -> Iterator[BrowserProfile]:
    socket_path = e2e_home / "run" / "daemon.sock"
    wrapper = write_host_wrapper(
        e2e_home / "bin",
        e2e_home,
        {DAEMON_COMMAND_ENV: json.dumps([sys.executable, str(STAND_IN), str(socket_path)])},
    )
    profile = launch_profile(
        playwright,
        tmp_path / "profile",
        wrapper,
        extension_dir=probe_extension,
        origin=EXTENSION_ORIGIN,
    )
    yield profile
    profile.close()
    kill_from_pid_file(e2e_home / "run" / "stand-in.pid")


def test_the_extension_has_its_fixed_id(echo_profile: BrowserProfile) -> None:
    assert echo_profile.extension_id == EXTENSION_ID


def test_a_round_trip_through_the_real_host_and_an_auto_started_daemon(
    echo_profile: BrowserProfile, e2e_home: Path
) -> None:
    hello, echoed = echo_profile.evaluate(
        ROUND_TRIP, [[{"id": "e1", "method": "status", "params": {}}], 2]
    )
    assert hello == {
        "method": "host.hello",
        "params": {"origin": EXTENSION_ORIGIN, "host_version": "0.1.0"},
    }
    assert echoed == {"id": "e1", "method": "status", "params": {}}
    assert (e2e_home / "run" / "stand-in.pid").exists()  # the host started it


def test_a_three_mib_message_crosses_the_real_browser_in_chunks(
    echo_profile: BrowserProfile,
) -> None:
    big = {"id": "e2", "method": "x", "params": {"text": 'ü"\n' * 1_200_000}}
    _, echoed = echo_profile.evaluate(ROUND_TRIP, [[big], 2])
    assert echoed.pop("arrivedInChunks") >= 3
    assert echoed == big


def test_an_extension_with_another_id_is_refused_by_the_host(
    playwright: Playwright, tmp_path: Path, e2e_home: Path
) -> None:
    folder = tmp_path / "stranger"
    folder.mkdir()
    (folder / "manifest.json").write_text(
        json.dumps(
            {
                "manifest_version": 3,
                "name": "stranger",
                "version": "1",
                "permissions": ["nativeMessaging"],
                "background": {"service_worker": "background.js"},
            }
        )
    )
    (folder / "background.js").write_text("")
    wrapper = write_host_wrapper(e2e_home / "bin", e2e_home, {})
    # Register the host for the stranger's random id, so only the host itself can refuse.
    profile = launch_profile(
        playwright, tmp_path / "profile", wrapper, extension_dir=folder, origin=EXTENSION_ORIGIN
    )
    try:
        register_host(profile.user_data_dir, wrapper, f"chrome-extension://{profile.extension_id}/")
        error = profile.evaluate(
            """() => new Promise(resolve => {
                const port = chrome.runtime.connectNative("org.foxbridge.host");
                port.onDisconnect.addListener(() => resolve(chrome.runtime.lastError?.message));
            })"""
        )
    finally:
        profile.close()
    assert error == "Native host has exited."
    assert "refusing the caller" in (e2e_home / "host.stderr").read_text()
    assert not (e2e_home / "run" / "daemon.sock").exists()
