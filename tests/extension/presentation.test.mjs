// The pure rules behind what the user sees: badge, headlines, explanations.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BADGE_COLORS, badgeFor } from '../../extension/lib/badge.js';
import { explain, plural } from '../../extension/lib/explain.js';
import { parseStatus, progressFraction, stateHeadline, timeAgo, timeUntil } from '../../extension/lib/status.js';

const connected = { state: 'connected' };

function status(overrides = {}) {
  const parsed = parseStatus({
    signed_in: true,
    email: 'alice@example.org',
    server: 'https://accounts.firefox.com',
    paused: false,
    state: 'idle',
    progress: null,
    last_sync: { at: 1_700_000_000_000, ok: true, summary: '3 changes' },
    problem: null,
    brake: null,
    ...overrides,
  });
  assert.ok(parsed.ok, parsed.reason);
  return parsed.status;
}

test('badge: each connection problem and sync state has its own look', () => {
  const cases = [
    [{ connection: { state: 'host-missing' }, status: null }, '!', BADGE_COLORS.failure],
    [{ connection: { state: 'host-forbidden' }, status: null }, '!', BADGE_COLORS.failure],
    [{ connection: { state: 'daemon-unreachable' }, status: null }, '!', BADGE_COLORS.failure],
    [{ connection: { state: 'connecting' }, status: null }, '', BADGE_COLORS.quiet],
    [{ connection: connected, status: status() }, '', BADGE_COLORS.quiet],
    [{ connection: connected, status: status({ state: 'syncing' }) }, '…', BADGE_COLORS.busy],
    [{ connection: connected, status: status({ state: 'syncing', progress: { done: 250, total: 1000 } }) }, '25%', BADGE_COLORS.busy],
    [{ connection: connected, status: status({ state: 'error', problem: { code: 'x', message: 'Boom.' } }) }, '!', BADGE_COLORS.failure],
    [{ connection: connected, status: status({ state: 'backoff' }) }, '!', BADGE_COLORS.attention],
    [{ connection: connected, status: status({ paused: true }) }, '❚❚', BADGE_COLORS.quiet],
    [{ connection: connected, status: status({ state: 'signed-out', signed_in: false }) }, 'off', BADGE_COLORS.quiet],
    [
      { connection: connected, status: status({ state: 'brake', brake: { deletions: 60, local_total: 200, preview: [] } }) },
      '?',
      BADGE_COLORS.attention,
    ],
  ];
  for (const [view, text, color] of cases) {
    const badge = badgeFor(view);
    assert.equal(badge.text, text, JSON.stringify(view));
    assert.equal(badge.color, color, JSON.stringify(view));
    assert.match(badge.title, /^foxbridge/);
  }
  assert.match(badgeFor({ connection: connected, status: status({ state: 'error', problem: { code: 'x', message: 'Boom.' } }) }).title, /Boom/);
});

test('badge: the brake outranks pause, since it waits for the user', () => {
  const view = { connection: connected, status: status({ paused: true, state: 'brake', brake: { deletions: 1, local_total: 2, preview: [] } }) };
  assert.equal(badgeFor(view).text, '?');
});

test('status: a well-formed object is kept, unknown fields dropped', () => {
  const parsed = parseStatus({ signed_in: true, state: 'syncing', progress: { done: 1, total: 4 }, secret: 'x' });
  assert.equal(parsed.ok, true);
  assert.equal('secret' in parsed.status, false);
  assert.equal(progressFraction(parsed.status.progress), 0.25);
});

test('status: malformed objects are refused with a reason', () => {
  const bad = [
    null,
    [],
    { state: 'dancing' },
    { state: 'idle', signed_in: 'yes' },
    { state: 'idle', email: 5 },
    { state: 'syncing', progress: { done: -1, total: 3 } },
    { state: 'idle', last_sync: { at: 'yesterday', ok: true } },
    { state: 'error', problem: { message: 'no code' } },
    { state: 'brake', brake: { deletions: 3, local_total: 4, preview: [1] } },
    { state: 'brake', brake: { deletions: 3, local_total: 4, remote_deletions: -2, preview: [] } },
    { state: 'backoff', problem: { code: 'busy', message: 'Busy.', retry_at: 'soon' } },
  ];
  for (const raw of bad) {
    const parsed = parseStatus(raw);
    assert.equal(parsed.ok, false, JSON.stringify(raw));
    assert.ok(parsed.reason.length > 0);
  }
});

test('status: headlines and times read naturally', () => {
  assert.equal(stateHeadline(status()), 'Up to date');
  assert.equal(stateHeadline(status({ state: 'syncing', progress: { done: 1200, total: 10000 } })), 'Syncing… 1,200 of 10,000');
  assert.equal(stateHeadline(status({ paused: true })), 'Paused');
  assert.equal(stateHeadline(status({ state: 'signed-out', signed_in: false })), 'Signed out');
  assert.equal(stateHeadline(status({ last_sync: { at: 1, ok: false } })), 'Last sync failed');
  assert.equal(timeAgo(0, 10_000), 'just now');
  assert.equal(timeAgo(0, 5 * 60_000), '5 minutes ago');
  assert.equal(timeAgo(0, 60 * 60_000), 'an hour ago');
  assert.equal(timeAgo(0, 30 * 3600_000), 'yesterday');
  assert.equal(timeUntil(10_000, 0), 'in a few seconds');
  assert.equal(timeUntil(90 * 60_000, 0), 'in 2 hours');
  assert.equal(progressFraction(null), null);
  assert.equal(progressFraction({ done: 0, total: 0 }), null);
});

test('explain: connection problems say what to run', () => {
  const missing = explain({ connection: { state: 'host-missing' }, status: null });
  assert.equal(missing.action, 'retry');
  assert.ok(missing.commands.some((entry) => entry.command === './install/install.sh'));
  const forbidden = explain({ connection: { state: 'host-forbidden' }, status: null });
  assert.deepEqual(forbidden.commands.map((entry) => entry.command), ['foxbridge install']);
  const unreachable = explain({ connection: { state: 'daemon-unreachable', message: 'The daemon did not start.' }, status: null });
  assert.match(unreachable.text, /The daemon did not start\./);
  assert.deepEqual(unreachable.commands.map((entry) => entry.command), ['foxbridge doctor']);
  assert.notEqual(missing.title, unreachable.title);
});

test('explain: account and sync problems offer the right action', () => {
  assert.equal(explain({ connection: connected, status: status() }), null);
  assert.equal(explain({ connection: connected, status: status({ state: 'signed-out', signed_in: false }) }).action, 'sign-in');
  const brake = explain({
    connection: connected,
    status: status({ state: 'brake', brake: { deletions: 60, local_total: 200, preview: ['Bar › A', 'Bar › B'] } }),
  });
  assert.equal(brake.action, 'confirm-brake');
  assert.deepEqual(brake.preview, ['Bar › A', 'Bar › B']);
  assert.match(brake.text, /60 bookmarks of the 200/);
  const backoff = explain({ connection: connected, status: status({ state: 'backoff', problem: { code: 'busy', message: 'Server busy (503).' } }) });
  assert.equal(backoff.tone, 'warning');
  assert.equal(backoff.text, 'Server busy (503). foxbridge tries again by itself.');
  const until = explain(
    { connection: connected, status: status({ state: 'backoff', problem: { code: 'busy', message: 'Busy.', retry_at: 600_000 } }) },
    0,
  );
  assert.equal(until.text, 'Busy. foxbridge tries again in 10 minutes.');
  const both = explain({
    connection: connected,
    status: status({ state: 'brake', brake: { deletions: 0, local_total: 10, remote_deletions: 80, remote_total: 300, preview: [] } }),
  });
  assert.match(both.text, /^This sync would delete 80 bookmarks of the 300 in your account\./);
  assert.equal(explain({ connection: connected, status: status({ state: 'error' }) }).action, 'sync-now');
  assert.equal(plural(1, 'bookmark'), '1 bookmark');
  assert.equal(plural(1200, 'bookmark'), '1,200 bookmarks');
});
