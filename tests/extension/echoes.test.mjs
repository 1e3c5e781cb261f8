import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EchoFilter, echoKeys } from '../../extension/lib/echoes.js';

test('an expected event is consumed once', () => {
  const echoes = new EchoFilter();
  echoes.expect(echoKeys.moved('5'));
  assert.equal(echoes.consume([echoKeys.moved('5')], 0), true);
  assert.equal(echoes.consume([echoKeys.moved('5')], 0), false);
});

test('expectations are counted', () => {
  const echoes = new EchoFilter();
  echoes.expect(echoKeys.createdUnder('1', 'Same title'));
  echoes.expect(echoKeys.createdUnder('1', 'Same title'));
  assert.equal(echoes.consume([echoKeys.createdUnder('1', 'Same title')], 0), true);
  assert.equal(echoes.consume([echoKeys.createdUnder('1', 'Same title')], 0), true);
  assert.equal(echoes.consume([echoKeys.createdUnder('1', 'Same title')], 0), false);
});

test('a cancelled write expects nothing', () => {
  const echoes = new EchoFilter();
  echoes.expect(echoKeys.removed('9'));
  echoes.cancel(echoKeys.removed('9'));
  assert.equal(echoes.consume([echoKeys.removed('9')], 0), false);
  assert.equal(echoes.size, 0);
});

test('leftovers expire after the grace period, not before', () => {
  const echoes = new EchoFilter();
  echoes.expect(echoKeys.changed('3'));
  echoes.expect(echoKeys.changed('4'));
  echoes.settle(1000, 2000);
  assert.equal(echoes.consume([echoKeys.changed('3')], 2999), true);
  assert.equal(echoes.consume([echoKeys.changed('4')], 3001), false);
  assert.equal(echoes.size, 0);
});

test('an unsettled expectation waits for as long as the batch runs', () => {
  const echoes = new EchoFilter();
  echoes.expect(echoKeys.changed('3'));
  assert.equal(echoes.consume([echoKeys.changed('3')], 1e12), true);
});

test('the first matching key of several is consumed', () => {
  const echoes = new EchoFilter();
  echoes.expect(echoKeys.createdUnder('1', 'A'));
  assert.equal(echoes.consume([echoKeys.created('77'), echoKeys.createdUnder('1', 'A')], 0), true);
  assert.equal(echoes.size, 0);
});
