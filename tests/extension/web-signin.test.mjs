import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import vm from 'node:vm';

import {
  checkBegun,
  completionParams,
  isCoveredOrigin,
  isFromSigninTab,
  WEB_SIGNIN_TIMEOUT_MS,
} from '../../extension/lib/web-signin.js';

const CONTENT_SCRIPT = readFileSync(new URL('../../extension/webchannel.js', import.meta.url), 'utf8');
const STATE = 'S'.repeat(22);
const CODE = 'ab'.repeat(32);

test('the content script covers Mozilla’s page and servers on this computer only', () => {
  assert.equal(isCoveredOrigin('https://accounts.firefox.com'), true);
  assert.equal(isCoveredOrigin('http://127.0.0.1:8765'), true);
  assert.equal(isCoveredOrigin('http://localhost:3030'), true);
  for (const origin of ['http://accounts.firefox.com', 'https://accounts.example.org', 'https://accounts.firefox.com.evil.example', 'https://accounts.firefox.com/path', 'nonsense']) {
    assert.equal(isCoveredOrigin(origin), false, origin);
  }
});

test('the daemon’s begin answer is checked before a tab is opened', () => {
  const url = `https://accounts.firefox.com/?context=oauth_webchannel_v1&state=${STATE}`;
  assert.deepEqual(checkBegun({ url, origin: 'https://accounts.firefox.com', state: STATE }), {
    ok: true,
    url,
    origin: 'https://accounts.firefox.com',
    state: STATE,
  });
  assert.equal(checkBegun({ url, state: STATE }).ok, true);
  assert.match(checkBegun({ url: 'https://accounts.example.org/', origin: 'https://accounts.example.org', state: STATE }).message, /cannot sign in on the page of https:\/\/accounts\.example\.org/);
  assert.equal(checkBegun({ url, origin: 'http://127.0.0.1:1', state: STATE }).ok, false);
  assert.equal(checkBegun({ url: 'javascript:alert(1)', state: STATE }).ok, false);
  assert.equal(checkBegun({ url, state: '' }).ok, false);
  assert.equal(checkBegun(null).ok, false);
});

test('only the top frame of the sign-in tab, on its server, in time, is believed', () => {
  const pending = { tabId: 7, origin: 'https://accounts.firefox.com', state: STATE, startedAt: 1000 };
  const sender = { tab: { id: 7 }, frameId: 0, url: 'https://accounts.firefox.com/signin' };
  assert.equal(isFromSigninTab(sender, pending, 2000), true);
  assert.equal(isFromSigninTab({ ...sender, tab: { id: 8 } }, pending, 2000), false);
  assert.equal(isFromSigninTab({ ...sender, frameId: 3 }, pending, 2000), false);
  assert.equal(isFromSigninTab({ ...sender, url: 'https://evil.example/' }, pending, 2000), false);
  assert.equal(isFromSigninTab(sender, pending, 1000 + WEB_SIGNIN_TIMEOUT_MS + 1), false);
  assert.equal(isFromSigninTab(sender, null, 2000), false);
});

test('completion carries the code, the state and who signed in, nothing else', () => {
  const pending = { state: STATE };
  const message = {
    type: 'web-signin-code',
    state: STATE,
    code: CODE,
    login: { uid: 'u'.repeat(32), email: 'a@example.org', verified: true, sessionToken: 'f'.repeat(64) },
  };
  assert.deepEqual(completionParams(message, pending), {
    state: STATE,
    code: CODE,
    login: { uid: 'u'.repeat(32), email: 'a@example.org', verified: true },
  });
  assert.equal(completionParams({ ...message, state: 'other' }, pending), null);
  assert.equal(completionParams({ ...message, code: 'XYZ' }, pending), null);
  assert.equal(completionParams(message, null), null);
});

/** Runs webchannel.js as a content script on a page; returns the page's side of it. */
function loadContentScript({ armedState = STATE, top = true, search = '?client_id=5882386c6d801776' } = {}) {
  const window = new EventTarget();
  window.top = top ? window : {};
  const toPage = [];
  const toWorker = [];
  window.addEventListener('WebChannelMessageToContent', (event) => toPage.push(JSON.parse(event.detail)));
  let armedAnswer;
  const answered = new Promise((resolve) => {
    armedAnswer = resolve;
  });
  const chrome = {
    runtime: {
      sendMessage(message) {
        toWorker.push(message);
        if (message.type === 'web-signin-armed') {
          const answer = armedState ? { state: armedState } : {};
          return Promise.resolve(answer).finally(() => setImmediate(armedAnswer));
        }
        return Promise.resolve({});
      },
    },
  };
  vm.runInNewContext(CONTENT_SCRIPT, { window, chrome, CustomEvent, URLSearchParams, location: { search }, JSON, setTimeout });
  const send = (command, data, { channel = 'account_updates', asObject = false } = {}) => {
    const detail = { id: channel, message: { command, messageId: `${command}-1`, data } };
    window.dispatchEvent(new CustomEvent('WebChannelMessageToChrome', { detail: asObject ? detail : JSON.stringify(detail) }));
  };
  return { send, toPage, toWorker, answered };
}

test('in the sign-in tab it answers the page as Firefox would and forwards the code once', async () => {
  const page = loadContentScript();
  page.send('fxaccounts:can_link_account', { email: 'a@example.org' }); // before the worker answered
  await page.answered;
  assert.deepEqual(page.toPage.map((m) => [m.message.command, m.message.data]), [['fxaccounts:can_link_account', { ok: true }]]);
  assert.equal(page.toPage[0].message.messageId, 'fxaccounts:can_link_account-1');

  page.send('fxaccounts:fxa_status', { service: 'sync' }, { asObject: true });
  assert.equal(page.toPage.at(-1).message.data.clientId, '5882386c6d801776');
  assert.equal(page.toPage.at(-1).message.data.signedInUser, null);

  page.send('fxaccounts:login', { email: 'a@example.org', uid: 'u'.repeat(32), verified: true, sessionToken: 'f'.repeat(64) });
  page.send('fxaccounts:loaded', {});
  page.send('fxaccounts:oauth_login', { code: CODE, state: 'wrong', action: 'signin' });
  page.send('fxaccounts:oauth_login', { code: CODE, state: STATE, action: 'signin' }, { channel: 'other' });
  page.send('fxaccounts:oauth_login', { code: CODE, state: STATE, action: 'signin', redirect: 'urn:x' });
  page.send('fxaccounts:oauth_login', { code: 'cd'.repeat(32), state: STATE, action: 'signin' });

  // Objects from the sandbox have its prototypes: compare them as JSON.
  const forwarded = JSON.parse(JSON.stringify(page.toWorker.filter((m) => m.type === 'web-signin-code')));
  assert.deepEqual(forwarded, [
    { type: 'web-signin-code', state: STATE, code: CODE, login: { uid: 'u'.repeat(32), email: 'a@example.org', verified: true } },
  ]);
  assert.equal(JSON.stringify(page.toWorker).includes('f'.repeat(64)), false);
  assert.deepEqual(
    page.toPage.map((m) => m.message.command),
    ['fxaccounts:can_link_account', 'fxaccounts:fxa_status', 'fxaccounts:login', 'fxaccounts:oauth_login'],
  );
});

test('anywhere else it stays silent', async () => {
  const page = loadContentScript({ armedState: null });
  await page.answered;
  page.send('fxaccounts:can_link_account', { email: 'a@example.org' });
  page.send('fxaccounts:oauth_login', { code: CODE, state: STATE });
  assert.deepEqual(page.toPage, []);
  assert.deepEqual(
    page.toWorker.map((m) => m.type),
    ['web-signin-armed'],
  );
});

test('in a frame it does nothing at all', () => {
  const page = loadContentScript({ top: false });
  page.send('fxaccounts:can_link_account', { email: 'a@example.org' });
  assert.deepEqual(page.toWorker, []);
  assert.deepEqual(page.toPage, []);
});

test('oversized or malformed events are ignored', async () => {
  const page = loadContentScript();
  await page.answered;
  page.send('fxaccounts:can_link_account', { email: 'x'.repeat(70 * 1024) });
  page.send(5, {});
  assert.deepEqual(page.toPage, []);
});
