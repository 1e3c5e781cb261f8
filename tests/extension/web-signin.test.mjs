import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  checkBegun,
  completionParams,
  isCoveredOrigin,
  isFromSigninTab,
  WEB_SIGNIN_TIMEOUT_MS,
} from '../../extension/lib/web-signin.js';

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
