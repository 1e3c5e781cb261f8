// A stand-in for the account server's sign-in page in its "oauth_webchannel_v1" context.
// It talks to the browser over the WebChannel exactly as the real page does: events named
// WebChannelMessageToChrome out, WebChannelMessageToContent back, channel id
// "account_updates", details as JSON strings. It signs in through the stack's page API
// (the real page derives keys itself; here the stack builds keys_jwe for the page).
"use strict";

const CHANNEL = "account_updates";
const knobs = JSON.parse(document.getElementById("knobs").textContent);
const params = new URLSearchParams(location.search);
const received = [];
const waiting = new Map();
let counter = 0;

function log(entry) {
  received.push(entry);
  sessionStorage.setItem("webChannelEvents", JSON.stringify(received));
}

function send(command, data, { channel = CHANNEL, asObject = knobs.detail_object } = {}) {
  const message = { command, messageId: `${Date.now()}${counter++}`, data };
  const detail = { id: channel, message };
  window.dispatchEvent(
    new CustomEvent("WebChannelMessageToChrome", {
      detail: asObject ? detail : JSON.stringify(detail),
    }),
  );
}

function request(command, data, timeoutMs = 0) {
  return new Promise((resolve, reject) => {
    waiting.set(command, resolve);
    send(command, data);
    if (timeoutMs) {
      setTimeout(() => {
        if (waiting.delete(command)) reject(new Error(`${command}: no answer`));
      }, timeoutMs);
    }
  });
}

window.addEventListener("WebChannelMessageToContent", (event) => {
  let detail = event.detail;
  if (typeof detail === "string") {
    try {
      detail = JSON.parse(detail);
    } catch {
      return;
    }
  }
  if (!detail || detail.id !== CHANNEL || !detail.message) return;
  const { command, data } = detail.message;
  log({ command, data });
  const resolve = waiting.get(command);
  if (resolve) {
    waiting.delete(command);
    resolve(data || {});
  }
});

function show(id) {
  for (const section of document.querySelectorAll("section")) section.hidden = section.id !== id;
}

function fail(text) {
  document.getElementById("error").textContent = text;
  show("error-view");
}

async function api(path, body) {
  const response = await fetch(`/signin/api/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(json.message || `HTTP ${response.status}`);
  return json;
}

const REQUIRED = ["client_id", "state", "scope", "code_challenge", "keys_jwk"];
const missing = REQUIRED.filter((name) => !params.get(name));
if (params.get("code_challenge_method") !== "S256") missing.push("code_challenge_method");

let session = null;

async function start() {
  if (missing.length) {
    fail(`Bad request: missing ${missing.join(", ")}`);
    return;
  }
  const looksLikeFirefox = /firefox|fxios/i.test(navigator.userAgent);
  if (knobs.force_status || (looksLikeFirefox && knobs.ua_gate)) {
    await request("fxaccounts:fxa_status", { service: "sync", isPairing: false,
      context: "oauth_webchannel_v1" }, 500).catch(() => null);
  }
  show("password-view");
}

async function finish() {
  const oauth = await api("authorize", {
    session_token: session.sessionToken,
    client_id: params.get("client_id"),
    state: params.get("state"),
    scope: params.get("scope"),
    access_type: params.get("access_type") || "online",
    code_challenge: params.get("code_challenge"),
    code_challenge_method: params.get("code_challenge_method"),
    keys_jwk: params.get("keys_jwk"),
  });
  send("fxaccounts:login", {
    email: session.email, sessionToken: session.sessionToken, uid: session.uid,
    verified: true, services: { sync: {} },
  });
  if (knobs.unknown_command) send("fxaccounts:loaded", {});
  if (knobs.foreign_channel_id) send("fxaccounts:oauth_login", oauth, { channel: "other" });
  const state = knobs.wrong_state ? "not-the-state" : oauth.state;
  const deliver = () => {
    send("fxaccounts:oauth_login", {
      action: "signin", code: oauth.code, state, redirect: oauth.redirect, scope: oauth.scope,
    });
    if (knobs.second_oauth_login) {
      send("fxaccounts:oauth_login", { action: "signin", code: "0".repeat(64), state,
        redirect: oauth.redirect, scope: oauth.scope });
    }
    show("done-view");
  };
  if (knobs.never_finish) return;
  setTimeout(deliver, knobs.delay_oauth_login_ms || 0);
}

document.getElementById("password-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const email = document.getElementById("email").value;
  const password = document.getElementById("password").value;
  try {
    const link = await request("fxaccounts:can_link_account", { email });
    if (!link.ok) {
      fail("Login attempt cancelled");
      return;
    }
    session = await api("login", { email, password });
    if (!session.verified) {
      send("fxaccounts:login", { email: session.email, sessionToken: session.sessionToken,
        uid: session.uid, verified: false, services: { sync: {} } });
      document.getElementById("code-kind").textContent = session.verificationMethod;
      show("code-view");
      return;
    }
    await finish();
  } catch (error) {
    fail(error.message);
  }
});

document.getElementById("code-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("verify", { session_token: session.sessionToken,
      code: document.getElementById("code").value });
    await finish();
  } catch (error) {
    fail(error.message);
  }
});

start();
