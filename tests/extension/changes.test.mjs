import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ChangeBatcher, MAX_BATCH, MAX_WAIT_MS, QUIET_MS } from '../../extension/lib/changes.js';

/** Timers driven by hand: `advance(ms)` runs what falls due. */
function manualClock() {
  let now = 0;
  let next = 1;
  const timers = new Map();
  return {
    now: () => now,
    timers: {
      set(fn, ms) {
        timers.set(next, { at: now + ms, fn });
        return next++;
      },
      clear(handle) {
        timers.delete(handle);
      },
    },
    advance(ms) {
      now += ms;
      for (const [handle, timer] of [...timers]) {
        if (timer.at <= now) {
          timers.delete(handle);
          timer.fn();
        }
      }
    },
  };
}

function batcher() {
  const clock = manualClock();
  const sent = [];
  const changes = new ChangeBatcher({ send: (events) => sent.push(events), now: clock.now, timers: clock.timers });
  return { clock, sent, changes };
}

test('events close together go out as one batch once the browser is quiet', () => {
  const { clock, sent, changes } = batcher();
  changes.add('created', '10');
  clock.advance(100);
  changes.add('moved', '11');
  clock.advance(QUIET_MS - 1);
  assert.equal(sent.length, 0);
  clock.advance(1);
  assert.deepEqual(sent, [
    [
      { type: 'created', id: '10', at: 0 },
      { type: 'moved', id: '11', at: 100 },
    ],
  ]);
});

test('a steady stream of events is still sent within the longest wait', () => {
  const { clock, sent, changes } = batcher();
  for (let t = 0; t < MAX_WAIT_MS + 500; t += 100) {
    changes.add('changed', String(t));
    clock.advance(100);
  }
  assert.ok(sent.length >= 1);
  const first = sent[0];
  assert.equal(first[0].at, 0);
  assert.ok(first[first.length - 1].at - first[0].at < MAX_WAIT_MS);
  assert.equal(first.length, MAX_WAIT_MS / 100);
});

test('a large burst is split into bounded batches', () => {
  const { sent, changes } = batcher();
  for (let i = 0; i < MAX_BATCH * 2 + 5; i += 1) changes.add('created', String(i));
  assert.equal(sent.length, 2);
  assert.equal(sent[0].length, MAX_BATCH);
  changes.flush();
  assert.equal(sent[2].length, 5);
});

test('an import is reported by its start and end, not bookmark by bookmark', () => {
  const { clock, sent, changes } = batcher();
  changes.add('removed', '4');
  changes.add('import-begin');
  for (let i = 0; i < 50; i += 1) changes.add('created', String(100 + i));
  changes.add('import-end');
  clock.advance(QUIET_MS * 10);
  assert.deepEqual(
    sent.map((batch) => batch.map((event) => event.type)),
    [['removed'], ['import-begin'], ['import-end']],
  );
  assert.equal('id' in sent[1][0], false);
});

test('discarding drops waiting events and their timer', () => {
  const { clock, sent, changes } = batcher();
  changes.add('created', '1');
  changes.discard();
  clock.advance(MAX_WAIT_MS * 2);
  assert.deepEqual(sent, []);
  assert.equal(changes.pending, 0);
});

test('unknown change types are a programming error', () => {
  const { changes } = batcher();
  assert.throws(() => changes.add('exploded', '1'), /unknown change type/);
});
