// The content script on the account server's page (extension/webchannel.js), run in a
// sandbox with a fake window and a fake service worker: what it answers the page, and what
// (only) it forwards to the service worker.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import vm from 'node:vm';

const SOURCE = readFileSync(new URL('../../extension/webchannel.js', import.meta.url), 'utf8');
const STATE = 'Q1tWl2o8x3mZcY0a9bCdEf';
const CODE = 'ab'.repeat(32);
const UID = '0123456789abcdef0123456789abcdef';
const SECRETS = {
  sessionToken: 'c0ffee'.repeat(10) + 'abcd',
  keyFetchToken: 'feed'.repeat(16),
  unwrapBKey: 'beef'.repeat(16),
  authPW: 'dead'.repeat(16),
};

/** Load the script as the browser would in a tab; `armedState` is what the service worker
 * answers when the script asks whether this is its sign-in tab (null: it is not). */
function loadScript({ armedState = STATE, topFrame = true } = {}) {
  const window = new EventTarget();
  window.top = topFrame ? window : {};
  const forwarded = [];
  const asked = [];
  const replies = [];
  window.addEventListener('WebChannelMessageToContent', (event) => {
    assert.equal(typeof event.detail, 'string', 'replies are JSON strings, as Firefox sends them');
    replies.push(JSON.parse(event.detail));
  });
  const chrome = {
    runtime: {
      async sendMessage(message) {
        const copy = JSON.parse(JSON.stringify(message));
        if (copy.type === 'web-signin-armed') {
          asked.push(copy);
          return armedState ? { state: armedState } : {};
        }
        forwarded.push(copy);
        return {};
      },
    },
  };
  const context = vm.createContext({
    window,
    chrome,
    CustomEvent,
    URLSearchParams,
    location: { search: '?context=oauth_webchannel_v1&client_id=5882386c6d801776' },
  });
  vm.runInContext(SOURCE, context);
  let counter = 0;
  return {
    forwarded,
    asked,
    replies,
    /** What the page does: a WebChannelMessageToChrome event, detail as a JSON string. */
    send(command, data, { id = 'account_updates', asObject = false } = {}) {
      const messageId = `1700000000000${counter++}`;
      const detail = { id, message: { command, messageId, data } };
      window.dispatchEvent(new CustomEvent('WebChannelMessageToChrome', { detail: asObject ? detail : JSON.stringify(detail) }));
      return messageId;
    },
    sendRaw(detail) {
      window.dispatchEvent(new CustomEvent('WebChannelMessageToChrome', { detail }));
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

async function armedPage(options) {
  const page = loadScript(options);
  await settle();
  return page;
}

test('a whole sign-in: answers the page, forwards only the code, state and who signed in', async () => {
  const page = await armedPage();
  const linkId = page.send('fxaccounts:can_link_account', { email: 'ann@example.org' });
  page.send('fxaccounts:login', { email: 'ann@example.org', uid: UID, verified: false, ...SECRETS, services: { sync: {} } });
  page.send('fxaccounts:login', { email: 'ann@example.org', uid: UID, verified: true, ...SECRETS, services: { sync: {} } });
  const oauthId = page.send('fxaccounts:oauth_login', {
    action: 'signin',
    code: CODE,
    state: STATE,
    redirect: `urn:ietf:wg:oauth:2.0:oob:oauth-redirect-webchannel?code=${CODE}&state=${STATE}`,
    scope: 'https://identity.mozilla.com/apps/oldsync profile',
    declinedSyncEngines: ['passwords'],
  });
  await settle();

  const link = page.replies.find((reply) => reply.message.command === 'fxaccounts:can_link_account');
  assert.deepEqual(link, { id: 'account_updates', message: { command: 'fxaccounts:can_link_account', messageId: linkId, data: { ok: true } } });
  const oauth = page.replies.find((reply) => reply.message.command === 'fxaccounts:oauth_login');
  assert.equal(oauth.message.messageId, oauthId);

  assert.deepEqual(page.forwarded, [
    { type: 'web-signin-code', state: STATE, code: CODE, login: { uid: UID, email: 'ann@example.org', verified: true } },
  ]);
  const everythingSent = JSON.stringify([page.forwarded, page.asked]);
  for (const [name, value] of Object.entries(SECRETS)) {
    assert.ok(!everythingSent.includes(value), `${name} left the content script`);
    assert.ok(!everythingSent.includes(name), `${name} left the content script`);
  }
});

test('the page may ask for the browser status and whether a flow is active', async () => {
  const page = await armedPage();
  page.send('fxaccounts:fxa_status', { service: 'sync', context: 'oauth_webchannel_v1', isPairing: false });
  page.send('fxaccounts:oauth_flow_is_active', {});
  await settle();
  const [status, active] = page.replies.map((reply) => reply.message);
  assert.equal(status.command, 'fxaccounts:fxa_status');
  assert.equal(status.data.signedInUser, null);
  assert.equal(status.data.clientId, '5882386c6d801776');
  // No choose-what-to-sync screen: foxbridge must not decline engines for the user's Firefoxes.
  assert.equal(status.data.capabilities.choose_what_to_sync, false);
  assert.deepEqual(status.data.capabilities.engines, []);
  assert.deepEqual(active, { command: 'fxaccounts:oauth_flow_is_active', messageId: active.messageId, data: { isActive: true } });
});

test('an oauth_login with another state is neither answered nor forwarded', async () => {
  const page = await armedPage();
  page.send('fxaccounts:oauth_login', { code: CODE, state: 'another-state-0000000000' });
  await settle();
  assert.deepEqual(page.replies, []);
  assert.deepEqual(page.forwarded, []);
});

test('only the first matching oauth_login is forwarded', async () => {
  const page = await armedPage();
  page.send('fxaccounts:oauth_login', { code: CODE, state: STATE });
  page.send('fxaccounts:oauth_login', { code: 'cd'.repeat(32), state: STATE });
  await settle();
  assert.equal(page.forwarded.length, 1);
  assert.equal(page.forwarded[0].code, CODE);
  assert.equal(page.replies.length, 1);
});

test('a code that is not 64 hex digits is ignored', async () => {
  const page = await armedPage();
  page.send('fxaccounts:oauth_login', { code: 'x'.repeat(64), state: STATE });
  page.send('fxaccounts:oauth_login', { code: { toString: () => CODE }, state: STATE }, { asObject: true });
  await settle();
  assert.deepEqual(page.forwarded, []);
});

test('foreign channels, unknown commands, malformed and oversized details are ignored', async () => {
  const page = await armedPage();
  page.send('fxaccounts:can_link_account', { email: 'a@b.c' }, { id: 'other_channel' });
  page.send('fxaccounts:oauth_login', { code: CODE, state: STATE }, { id: 'other_channel' });
  page.send('fxaccounts:loaded', {});
  page.send('fxaccounts:pair_heartbeat', {});
  page.sendRaw('{not json');
  page.sendRaw(null);
  page.sendRaw(42);
  page.sendRaw(JSON.stringify({ id: 'account_updates', message: { command: 'fxaccounts:can_link_account', pad: 'x'.repeat(70_000) } }));
  await settle();
  assert.deepEqual(page.replies, []);
  assert.deepEqual(page.forwarded, []);
});

test('details sent as objects are understood too (as the page does for Firefox on iOS)', async () => {
  const page = await armedPage();
  page.send('fxaccounts:can_link_account', { email: 'a@b.c' }, { asObject: true });
  await settle();
  assert.equal(page.replies.length, 1);
});

test('messages sent before the service worker answered are handled once it has', async () => {
  const page = loadScript();
  page.send('fxaccounts:can_link_account', { email: 'a@b.c' });
  assert.deepEqual(page.replies, [], 'nothing is answered before the tab is known to be the sign-in tab');
  await settle();
  assert.equal(page.replies.length, 1);
});

test('in a tab that is not the sign-in tab, the script stays silent', async () => {
  const page = loadScript({ armedState: null });
  page.send('fxaccounts:can_link_account', { email: 'a@b.c' });
  await settle();
  page.send('fxaccounts:login', { email: 'a@b.c', uid: UID, verified: true, ...SECRETS });
  page.send('fxaccounts:oauth_login', { code: CODE, state: STATE });
  await settle();
  assert.deepEqual(page.replies, []);
  assert.deepEqual(page.forwarded, []);
});

test('in a frame, the script does nothing at all', async () => {
  const page = loadScript({ topFrame: false });
  page.send('fxaccounts:can_link_account', { email: 'a@b.c' });
  page.send('fxaccounts:oauth_login', { code: CODE, state: STATE });
  await settle();
  assert.deepEqual(page.asked, []);
  assert.deepEqual(page.replies, []);
  assert.deepEqual(page.forwarded, []);
});

test('a flood of messages before the service worker answered is capped, not queued without end', async () => {
  const page = loadScript();
  for (let i = 0; i < 1000; i++) page.send('fxaccounts:can_link_account', { email: 'a@b.c' });
  await settle();
  assert.equal(page.replies.length, 32);
});
