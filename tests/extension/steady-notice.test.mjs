// Steadying the connection notice: no flicker between "Connecting…" and the failure.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ESCALATE_AFTER_MS, SteadyNotice } from '../../extension/lib/steady-notice.js';

const connecting = { connection: { state: 'connecting' }, status: null };
const unreachable = { connection: { state: 'daemon-unreachable', message: 'The service did not start.' }, status: null };
const connected = { connection: { state: 'connected' }, status: { signed_in: true, state: 'idle' } };

test('a fresh failure shows as connecting until it has lasted, then as the error', () => {
  const notice = new SteadyNotice();
  assert.equal(notice.pick(connecting, 0).problem.tone, 'info');
  const early = notice.pick(unreachable, 500);
  assert.equal(early.problem.tone, 'info');
  assert.match(early.problem.title, /^Connecting/);
  assert.equal(early.recheckIn, ESCALATE_AFTER_MS - 500);
  const later = notice.pick(unreachable, ESCALATE_AFTER_MS);
  assert.equal(later.problem.tone, 'error');
  assert.match(later.problem.text, /did not start/);
  assert.equal(later.recheckIn, null);
});

test('once shown, the error stays through the worker’s retries', () => {
  const notice = new SteadyNotice();
  notice.pick(connecting, 0);
  notice.pick(unreachable, ESCALATE_AFTER_MS + 1);
  for (const at of [5000, 6000, 9000]) {
    assert.equal(notice.pick(connecting, at).problem.tone, 'error');
    assert.equal(notice.pick(unreachable, at + 500).problem.tone, 'error');
  }
});

test('a failure the worker already knew when the page opened shows at once', () => {
  const notice = new SteadyNotice();
  assert.equal(notice.pick(unreachable, 0).problem.tone, 'error');
});

test('connecting successfully clears the memory of the failure', () => {
  const notice = new SteadyNotice();
  notice.pick(unreachable, 0);
  assert.equal(notice.pick(connected, 100).problem, null);
  assert.equal(notice.pick(connecting, 200).problem.tone, 'info');
  assert.equal(notice.pick(unreachable, 300).problem.tone, 'info');
});

test('the unreachable text names the doctor once', () => {
  const notice = new SteadyNotice();
  const said = { connection: { state: 'daemon-unreachable', message: 'It did not start; see “foxbridge doctor”.' }, status: null };
  assert.equal(notice.pick(said, 0).problem.text.match(/doctor/g).length, 1);
  const plain = new SteadyNotice().pick(unreachable, 0).problem.text;
  assert.match(plain, /foxbridge doctor/);
});
