"""Real Firefox ESR as a Sync peer, driven through Marionette.

Firefox is pointed at the project's local stack, signed in without its web UI (the
account's session token and sync key are handed to its FxA module from chrome-privileged
JavaScript), and then syncs for real: OAuth, tokenserver, storage, its own bookmark
merger. Tests change bookmarks on both sides and compare the trees.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIREFOX = shutil.which("firefox-esr") or "/usr/lib/firefox-esr/firefox-esr"

# Firefox's root GUIDs, and the Sync ids they travel under.
PLACES_ROOTS = {
    "menu________": "menu",
    "toolbar_____": "toolbar",
    "unfiled_____": "unfiled",
    "mobile______": "mobile",
}


# Pref families Firefox resets when an account signs out.
RESET_ON_SIGN_OUT = ("services.sync.", "identity.fxaccounts.", "identity.sync.")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prefs(stack_url: str, marionette_port: int) -> dict[str, Any]:
    quiet_engines = ["history", "tabs", "passwords", "addons", "prefs", "forms"]
    quiet_engines += ["addresses", "creditcards"]
    prefs: dict[str, Any] = {
        "marionette.port": marionette_port,
        "identity.fxaccounts.autoconfig.uri": "",
        "identity.fxaccounts.allowHttp": True,
        "identity.fxaccounts.remote.root": f"{stack_url}/",
        "identity.fxaccounts.auth.uri": f"{stack_url}/v1",
        "identity.fxaccounts.remote.oauth.uri": f"{stack_url}/oauth/v1",
        "identity.fxaccounts.remote.profile.uri": f"{stack_url}/profile/v1",
        "identity.fxaccounts.remote.pairing.uri": "ws://127.0.0.1:9/",
        "identity.sync.tokenserver.uri": f"{stack_url}/token/1.0/sync/1.5",
        # The test decides when Firefox syncs.
        "services.sync.testing.tps": True,
        "services.sync.syncInterval": 86_400_000,
        "services.sync.scheduler.activeInterval": 86_400_000,
        "services.sync.scheduler.idleInterval": 86_400_000,
        "services.sync.scheduler.immediateInterval": 86_400_000,
        "services.sync.autoconnectDelay": 86_400,
        "services.sync.syncThreshold": 1_000_000,
        "services.sync.log.appender.file.logOnSuccess": True,
        # Off the network: only loopback is reachable.
        "dom.push.enabled": False,
        "dom.push.connection.enabled": False,
        "datareporting.policy.dataSubmissionEnabled": False,
        "datareporting.healthreport.uploadEnabled": False,
        "toolkit.telemetry.enabled": False,
        "app.update.enabled": False,
        "app.normandy.enabled": False,
        "services.settings.server": "http://127.0.0.1:9/v1",
        "browser.safebrowsing.malware.enabled": False,
        "browser.safebrowsing.phishing.enabled": False,
        "network.captive-portal-service.enabled": False,
        "network.connectivity-service.enabled": False,
        "network.proxy.type": 1,
        "network.proxy.http": "127.0.0.1",
        "network.proxy.http_port": 9,
        "network.proxy.ssl": "127.0.0.1",
        "network.proxy.ssl_port": 9,
        "network.proxy.no_proxies_on": "127.0.0.1,localhost",
        "network.proxy.allow_hijacking_localhost": False,
        "browser.shell.checkDefaultBrowser": False,
        "browser.startup.homepage_override.mstone": "ignore",
    }
    for engine in quiet_engines:
        prefs[f"services.sync.engine.{engine}"] = False
    return prefs


@dataclass
class FirefoxAccount:
    """What Firefox needs to be signed in: a verified session and the sync key."""

    email: str
    uid: str
    session_token: str  # hex
    ksync: bytes
    kid: str


@dataclass(frozen=True)
class Validation:
    """The problems Firefox's merger found in the server's tree during one sync."""

    checked: int  # records looked at (items and tombstones)
    problems: dict[str, int]


class FirefoxPeer:
    def __init__(self, profile_dir: Path, stack_url: str) -> None:
        self.profile_dir = profile_dir
        self.stack_url = stack_url
        self.port = _free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self.client: Any = None
        self.last_validation: Validation | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FirefoxPeer:
        from marionette_driver.marionette import Marionette

        self.profile_dir.mkdir(parents=True, exist_ok=True)
        lines = [
            f"user_pref({json.dumps(k)}, {json.dumps(v)});"
            for k, v in _prefs(self.stack_url, self.port).items()
        ]
        (self.profile_dir / "user.js").write_text("\n".join(lines) + "\n")
        env = dict(os.environ, MOZ_HEADLESS="1")
        self._process = subprocess.Popen(
            [
                FIREFOX,
                "--headless",
                "--no-remote",
                "--marionette",
                "--remote-allow-system-access",
                "--profile",
                str(self.profile_dir),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.client = Marionette(host="127.0.0.1", port=self.port, startup_timeout=60)
        self.client.start_session()
        self.client.set_context("chrome")
        self.client.timeout.script = 120
        self._wait_for_places()
        return self

    def stop(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):  # Firefox may already be gone
                self.client.delete_session()
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()

    def __enter__(self) -> FirefoxPeer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- privileged JavaScript ---------------------------------------------------------

    def run(self, body: str, *args: Any) -> Any:
        """Run async chrome JS; ``body`` sees ``args`` and ends by returning a value."""
        script = f"""
            const [resolve] = [arguments[arguments.length - 1]];
            const args = Array.from(arguments).slice(0, -1);
            const {{ PlacesUtils }} = ChromeUtils.importESModule(
              "resource://gre/modules/PlacesUtils.sys.mjs");
            const {{ Weave }} = ChromeUtils.importESModule("resource://services-sync/main.sys.mjs");
            (async () => {{ {body} }})().then(
              value => resolve({{ ok: true, value }}),
              error => resolve({{
                ok: false, error: String(error) + "\\n" + (error.stack || "") }}));
        """
        result = self.client.execute_async_script(script, script_args=list(args))
        if not result["ok"]:
            raise RuntimeError(f"Firefox script failed: {result['error']}")
        return result["value"]

    def _wait_for_places(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = self.run(
                """
                const { PlacesBrowserStartup } = ChromeUtils.importESModule(
                  "moz-src:///browser/components/places/PlacesBrowserStartup.sys.mjs");
                return !!PlacesBrowserStartup._placesBrowserInitComplete;
                """
            )
            if done:
                return
            time.sleep(0.1)
        raise TimeoutError("Firefox did not finish importing its default bookmarks")

    # -- account and sync --------------------------------------------------------------

    def sign_in(self, account: FirefoxAccount) -> None:
        k = base64.urlsafe_b64encode(account.ksync).rstrip(b"=").decode()
        scope = "https://identity.mozilla.com/apps/oldsync"
        user = {
            "email": account.email,
            "uid": account.uid,
            "sessionToken": account.session_token,
            "verified": True,
            "scopedKeys": {scope: {"kid": account.kid, "k": k, "kty": "oct", "scope": scope}},
        }
        self.run(
            """
            const { getFxAccountsSingleton } = ChromeUtils.importESModule(
              "resource://gre/modules/FxAccounts.sys.mjs");
            // Signing out resets the endpoints and every services.sync pref: put ours
            // back, and make FxA build its client again from them.
            for (const [name, value] of Object.entries(args[1])) {
              if (typeof value === "boolean") Services.prefs.setBoolPref(name, value);
              else if (typeof value === "number") Services.prefs.setIntPref(name, value);
              else Services.prefs.setStringPref(name, value);
            }
            const accounts = getFxAccountsSingleton();
            accounts.resetFxAccountsClient();
            await accounts._internal.setSignedInUser(args[0]);
            await Weave.Service.promiseInitialized;
            Weave.Service.configure();
            return true;
            """,
            user,
            {
                k: v
                for k, v in _prefs(self.stack_url, self.port).items()
                if k.startswith(RESET_ON_SIGN_OUT)
            },
        )

    def sign_out(self) -> None:
        """Sign out and let Sync forget the account (its mirror, sync ids and keys), as
        "Disconnect" does; a no-op when nobody is signed in."""
        self.run(
            """
            const { getFxAccountsSingleton } = ChromeUtils.importESModule(
              "resource://gre/modules/FxAccounts.sys.mjs");
            const accounts = getFxAccountsSingleton();
            if (!(await accounts.getSignedInUser())) return false;
            const topic = "weave:service:start-over:finish";
            const forgotten = new Promise(resolve => {
              const observer = () => { Services.obs.removeObserver(observer, topic); resolve(); };
              Services.obs.addObserver(observer, topic);
            });
            await accounts.signOut(true);
            await forgotten;
            return true;
            """
        )
        self.last_validation = None

    def sync(self) -> None:
        """One bookmarks sync; raises unless Firefox reports complete success.

        When Firefox merges (something changed on either side), its merger checks the
        whole server tree it mirrors and reports the problems it found; they are kept for
        ``validation_problems()``.
        """
        outcome = self.run(
            """
            const { Services } = globalThis;
            const errors = [];
            let validation = null;
            const topics = ["weave:engine:sync:error", "weave:service:sync:error"];
            const observer = (subject, topic, data) => errors.push(topic + " " + data);
            const validated = (subject, topic, data) => {
              if (data !== "bookmarks") return;
              const { problems, checked } = subject.wrappedJSObject.object;
              validation = { checked, problems: problems.map(p => [p.name, p.count]) };
            };
            for (const t of topics) Services.obs.addObserver(observer, t);
            Services.obs.addObserver(validated, "weave:engine:validate:finish");
            try {
              while (Weave.Service.locked) await new Promise(r => setTimeout(r, 50));
              await Weave.Service.sync({ engines: ["bookmarks"], why: "user" });
            } finally {
              for (const t of topics) Services.obs.removeObserver(observer, t);
              Services.obs.removeObserver(validated, "weave:engine:validate:finish");
            }
            return { service: Weave.Status.service, sync: Weave.Status.sync,
                     engines: Weave.Status.engines, errors, validation };
            """
        )
        ok = (
            outcome["service"] == "success.status_ok"
            and outcome["sync"] == "success.sync"
            and not outcome["engines"]
            and not outcome["errors"]
        )
        if not ok:
            raise AssertionError(f"Firefox sync failed: {outcome}\n{self.sync_log_tail()}")
        validation = outcome["validation"]
        self.last_validation = (
            None
            if validation is None
            else Validation(validation["checked"], dict(validation["problems"]))
        )

    def sync_log_tail(self, lines: int = 60) -> str:
        logs = sorted((self.profile_dir / "weave" / "logs").glob("*.txt"))
        if not logs:
            return "(no sync log)"
        return "\n".join(logs[-1].read_text(errors="replace").splitlines()[-lines:])

    def validation_problems(self) -> dict[str, int]:
        """What Firefox's validator found wrong in the server's bookmark tree at the last
        sync: problem name → count (empty when the tree is sound).

        Firefox ESR 153 has no stand-alone bookmark validator module any more; its
        validator is the merger's remote-tree builder, which checks every record Firefox
        mirrors from the server (the whole collection) for orphans, misparented roots,
        multiple parents, non-folder parents, parent/child disagreements and missing
        children. It runs only when a sync merges, so call this after a ``sync()`` that
        downloaded something.
        """
        if self.last_validation is None:
            raise AssertionError("Firefox's last sync merged nothing, so nothing was validated")
        return self.last_validation.problems

    # -- bookmarks ---------------------------------------------------------------------

    def erase_everything(self) -> None:
        self.run("await PlacesUtils.bookmarks.eraseEverything(); return true;")

    def insert(
        self,
        parent_guid: str,
        *,
        title: str,
        url: str | None = None,
        kind: str = "bookmark",
        index: int = -1,
    ) -> str:
        return self.run(
            """
            const [parentGuid, title, url, kind, index] = args;
            const B = PlacesUtils.bookmarks;
            const type = { bookmark: B.TYPE_BOOKMARK, folder: B.TYPE_FOLDER,
                           separator: B.TYPE_SEPARATOR }[kind];
            const info = { parentGuid, type, index: index < 0 ? B.DEFAULT_INDEX : index };
            if (kind !== "separator") info.title = title;
            if (url) info.url = url;
            return (await B.insert(info)).guid;
            """,
            parent_guid,
            title,
            url,
            kind,
            index,
        )

    def update(self, guid: str, **changes: Any) -> None:
        self.run(
            "await PlacesUtils.bookmarks.update(Object.assign({ guid: args[0] }, args[1]));"
            " return true;",
            guid,
            changes,
        )

    def remove(self, guid: str) -> None:
        self.run("await PlacesUtils.bookmarks.remove(args[0]); return true;", guid)

    def tag(self, url: str, tags: list[str]) -> None:
        self.run(
            "PlacesUtils.tagging.tagURI(Services.io.newURI(args[0]), args[1]); return true;",
            url,
            tags,
        )

    def tags(self, url: str) -> list[str]:
        return self.run(
            "return PlacesUtils.tagging.getTagsForURI(Services.io.newURI(args[0]));", url
        )

    def set_keyword(self, url: str, keyword: str) -> None:
        self.run(
            "await PlacesUtils.keywords.insert({ keyword: args[1], url: args[0] }); return true;",
            url,
            keyword,
        )

    def keyword(self, keyword: str) -> str | None:
        return self.run(
            "const e = await PlacesUtils.keywords.fetch(args[0]); return e ? e.url.href : null;",
            keyword,
        )

    def tree(self) -> dict[str, Any]:
        """The four user roots as nested {title, url, kind, children} by Sync root id."""
        raw = self.run(
            "return await PlacesUtils.promiseBookmarksTree(PlacesUtils.bookmarks.rootGuid);"
        )
        roots: dict[str, Any] = {}
        for child in raw.get("children", []):
            if child["guid"] in PLACES_ROOTS:
                roots[PLACES_ROOTS[child["guid"]]] = _simplify(child)
        return roots


def _simplify(node: dict[str, Any]) -> dict[str, Any]:
    kind = {
        "text/x-moz-place": "bookmark",
        "text/x-moz-place-container": "folder",
        "text/x-moz-place-separator": "separator",
    }[node["type"]]
    out: dict[str, Any] = {"guid": node["guid"], "kind": kind, "title": node.get("title", "")}
    if "uri" in node:
        out["url"] = node["uri"]
    if kind == "folder":
        out["children"] = [_simplify(c) for c in node.get("children", [])]
    return out
