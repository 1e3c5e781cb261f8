"""The reference client against the accounts double: real Firefox ESR, handed a confirmed
session and the sync key, does its own OAuth, profile and device calls on the stack."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.firefox.peer import FIREFOX, FirefoxAccount, FirefoxPeer

pytestmark = pytest.mark.firefox


@pytest.fixture
def firefox_available() -> None:
    if not Path(FIREFOX).exists() and shutil.which("firefox-esr") is None:
        pytest.skip("Firefox ESR is not installed (tests/run.sh installs it)")


def test_firefox_signs_in_on_the_stack(firefox_available, stack_thread, tmp_path: Path) -> None:
    fxa = stack_thread.stack.fxa
    account = fxa.create_account("firefox@example.org", "pw")
    session = fxa.new_verified_session("firefox@example.org")
    with FirefoxPeer(tmp_path / "profile", stack_thread.url) as peer:
        peer.sign_in(
            FirefoxAccount(account.email, account.uid, session, account.ksync, account.kid)
        )
        seen = peer.run(
            """
            const { getFxAccountsSingleton } = ChromeUtils.importESModule(
              "resource://gre/modules/FxAccounts.sys.mjs");
            const fxa = getFxAccountsSingleton();
            const token = await fxa.getOAuthToken(
              { scope: "https://identity.mozilla.com/apps/oldsync" });
            const profile = await fxa._internal.profile.getProfile();
            const deviceId = await fxa.device.getLocalId();
            await fxa.device.refreshDeviceList({ ignoreCached: true });
            const keys = await fxa.keys.getKeyForScope(
              "https://identity.mozilla.com/apps/oldsync");
            return { token, email: profile.email, deviceId, kid: keys.kid,
                     devices: fxa.device.recentDeviceList };
            """
        )
    assert (verified := stack_thread.call(fxa.verify_access_token(seen["token"]))) is not None
    assert verified.uid == account.uid
    assert seen["email"] == "firefox@example.org"
    assert seen["kid"] == account.kid
    assert seen["deviceId"] in fxa.state.devices
    assert [(d["id"], d["isCurrentDevice"]) for d in seen["devices"]] == [(seen["deviceId"], True)]
