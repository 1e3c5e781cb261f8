import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkOperations, planWaves } from '../../extension/lib/operations.js';

test('well-formed operations pass, with parents told apart as refs or browser ids', () => {
  const { operations, failed } = checkOperations([
    { op: 'create', ref: 'r1', parent: '1', index: 0, title: 'F' },
    { op: 'create', ref: 'r2', parent: 'r1', title: 'B', url: 'https://b.example/' },
    { op: 'update', id: '9', url: 'https://c.example/' },
    { op: 'move', id: '10', parent: 'r1', index: 2 },
    { op: 'remove', id: '11' },
  ]);
  assert.deepEqual(failed, []);
  assert.equal(operations[0].parentIsRef, false);
  assert.equal(operations[1].parentIsRef, true);
  assert.equal(operations[1].title, 'B');
  assert.equal(operations[3].parentIsRef, true);
  assert.deepEqual(operations[2], { op: 'update', id: '9', url: 'https://c.example/' });
});

test('a ref names a folder only after its create', () => {
  const { operations } = checkOperations([
    { op: 'create', ref: 'b', parent: 'r1', title: 'Too early' },
    { op: 'create', ref: 'r1', parent: '1', title: 'F' },
  ]);
  assert.equal(operations[0].parentIsRef, false);
});

test('each bad operation fails alone, with a reason', () => {
  const bad = [
    'create',
    { op: 'create', parent: '1' },
    { op: 'create', ref: 'x', parent: '' },
    { op: 'create', ref: 'x', parent: '1', title: 5 },
    { op: 'create', ref: 'x', parent: '1', url: '' },
    { op: 'create', ref: 'x', parent: '1', index: -1 },
    { op: 'create', ref: 'x', parent: '1', index: '2' },
    { op: 'create', ref: 'x', parent: '1', title: 'x'.repeat(5000) },
    { op: 'update', id: '3' },
    { op: 'update', title: 'no id' },
    { op: 'move', id: '3' },
    { op: 'remove' },
    { op: 'delete', id: '3' },
  ];
  const { operations, failed } = checkOperations([{ op: 'create', ref: 'ok', parent: '1' }, ...bad]);
  assert.equal(operations[0].op, 'create');
  assert.equal(operations.filter(Boolean).length, 1);
  assert.deepEqual(
    failed.map((failure) => failure.index),
    bad.map((_, i) => i + 1),
  );
  for (const failure of failed) assert.ok(failure.message.length > 0);
});

test('a ref created twice is refused the second time', () => {
  const { failed } = checkOperations([
    { op: 'create', ref: 'r', parent: '1' },
    { op: 'create', ref: 'r', parent: '2' },
  ]);
  assert.deepEqual(failed, [{ index: 1, message: 'the ref r is created twice' }]);
});

test('a new wave starts only where an operation needs a folder of the current wave', () => {
  const { operations } = checkOperations([
    { op: 'create', ref: 'a', parent: '1' },
    { op: 'create', ref: 'b', parent: '1' },
    { op: 'update', id: '5', title: 't' },
    { op: 'create', ref: 'a1', parent: 'a' },
    { op: 'create', ref: 'b1', parent: 'b' },
    { op: 'move', id: '6', parent: 'a1' },
    { op: 'remove', id: '7' },
  ]);
  assert.deepEqual(planWaves(operations), [[0, 1, 2], [3, 4], [5, 6]]);
});

test('a folder’s children share a wave with its siblings’ children', () => {
  const { operations } = checkOperations([
    { op: 'create', ref: 'f1', parent: '2', index: 0 },
    { op: 'create', ref: 'f1a', parent: 'f1', index: 0 },
    { op: 'create', ref: 'f1aa', parent: 'f1a', index: 0 },
    { op: 'create', ref: 'f2', parent: '2', index: 1 },
    { op: 'create', ref: 'f2a', parent: 'f2', index: 0 },
  ]);
  assert.deepEqual(planWaves(operations), [[0, 3], [1, 4], [2]]);
});

test('nothing after a move goes before it', () => {
  const { operations } = checkOperations([
    { op: 'create', ref: 'f', parent: '2', index: 0 },
    { op: 'create', ref: 'b', parent: 'f', index: 0 },
    { op: 'move', id: '7', parent: '1', index: 0 },
    { op: 'create', ref: 'c', parent: '1', index: 1 },
    { op: 'create', ref: 'd', parent: '2', index: 0 },
  ]);
  assert.deepEqual(planWaves(operations), [[0], [1, 2, 3, 4]]);
});

test('failed operations are left out of the waves', () => {
  const { operations } = checkOperations([{ op: 'nope' }, { op: 'remove', id: '1' }]);
  assert.deepEqual(planWaves(operations), [[1]]);
});
