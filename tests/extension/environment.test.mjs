// Facts the service worker reads from its surroundings: the browser, the port's errors,
// server addresses, reconnection delays.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { NOT_INSTALLED_MAX_MS, RECONNECT_MAX_MS, reconnectDelay } from '../../extension/lib/backoff.js';
import { detectBrowser } from '../../extension/lib/browser-name.js';
import { classifyDisconnect } from '../../extension/lib/connection-problems.js';
import { checkServerUrl } from '../../extension/lib/urls.js';

const brands = (...names) => names.map((brand) => ({ brand, version: '130' }));
const CHROME_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';

test('browser names come from the brands, most specific first', () => {
  assert.equal(detectBrowser({ brands: brands('Chromium', 'Google Chrome', 'Not?A_Brand') }), 'Chrome');
  assert.equal(detectBrowser({ brands: brands('Microsoft Edge', 'Chromium', 'Not=A?Brand') }), 'Edge');
  assert.equal(detectBrowser({ brands: brands('Brave', 'Chromium') }), 'Brave');
  assert.equal(detectBrowser({ brands: brands('Opera', 'Chromium') }), 'Opera');
  assert.equal(detectBrowser({ brands: brands('Chromium', 'Not_A Brand') }), 'Chromium');
  assert.equal(detectBrowser({}), 'Chromium');
});

test('browsers that hide their brand are found another way', () => {
  assert.equal(detectBrowser({ brands: brands('Chromium'), isBrave: true }), 'Brave');
  assert.equal(detectBrowser({ brands: brands('Chromium'), userAgent: `${CHROME_UA} Vivaldi/6.9` }), 'Vivaldi');
  assert.equal(detectBrowser({ brands: brands('Chromium'), userAgent: `${CHROME_UA} OPR/114.0` }), 'Opera');
  assert.equal(detectBrowser({ brands: [], userAgent: `${CHROME_UA} Edg/130.0` }), 'Edge');
  assert.equal(detectBrowser({ brands: [{ nonsense: true }, null], userAgent: CHROME_UA }), 'Chromium');
});

test("Chromium's port errors tell 'not installed' from 'daemon unreachable'", () => {
  assert.equal(classifyDisconnect('Specified native messaging host not found.').state, 'host-missing');
  assert.equal(classifyDisconnect('Access to the specified native messaging host is forbidden.').state, 'host-forbidden');
  assert.equal(classifyDisconnect('Native host has exited.').state, 'daemon-unreachable');
  assert.equal(classifyDisconnect('Error when communicating with the native messaging host.').state, 'daemon-unreachable');
  assert.equal(classifyDisconnect(undefined).state, 'daemon-unreachable');
  const told = classifyDisconnect('Native host has exited.', 'The foxbridge daemon did not start.');
  assert.deepEqual(told, { state: 'daemon-unreachable', message: 'The foxbridge daemon did not start.' });
  // The host's word never hides a missing registration.
  assert.equal(classifyDisconnect('Specified native messaging host not found.', 'x').state, 'host-missing');
});

test('reconnection waits grow, stay capped, and are jittered', () => {
  const low = () => 0;
  const high = () => 1;
  assert.equal(reconnectDelay(0, { random: high }), 1000);
  assert.equal(reconnectDelay(0, { random: low }), 500);
  assert.equal(reconnectDelay(3, { random: high }), 8000);
  assert.equal(reconnectDelay(50, { random: high }), RECONNECT_MAX_MS);
  assert.equal(reconnectDelay(50, { random: high, maxMs: NOT_INSTALLED_MAX_MS }), NOT_INSTALLED_MAX_MS);
  assert.equal(reconnectDelay(-3, { random: high }), 1000);
});

test('server addresses: https anywhere, plain http only on this computer', () => {
  assert.deepEqual(checkServerUrl(' https://accounts.example.org/ '), { ok: true, url: 'https://accounts.example.org' });
  assert.deepEqual(checkServerUrl('https://sync.example.org/token/1.0/sync/1.5'), {
    ok: true,
    url: 'https://sync.example.org/token/1.0/sync/1.5',
  });
  assert.equal(checkServerUrl('http://127.0.0.1:8765').ok, true);
  assert.equal(checkServerUrl('http://localhost:8765/').ok, true);
  assert.equal(checkServerUrl('http://[::1]:8765').ok, true);
  for (const bad of ['', 'accounts.example.org', 'http://accounts.example.org', 'ftp://x.example', 'https://user:pw@x.example', 'javascript:alert(1)']) {
    const checked = checkServerUrl(bad);
    assert.equal(checked.ok, false, bad);
    assert.ok(checked.message.length > 0);
  }
});
