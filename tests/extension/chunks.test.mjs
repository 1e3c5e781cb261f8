import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ChunkAssembler, ChunkError, MAX_OPEN_MESSAGES } from '../../extension/lib/chunks.js';

function split(message, id, parts) {
  const text = JSON.stringify(message);
  const size = Math.ceil(text.length / parts);
  return Array.from({ length: parts }, (_, index) => ({ id, index, count: parts, data: text.slice(index * size, (index + 1) * size) }));
}

test('chunks in order give back the message', () => {
  const message = { id: 'd7', method: 'tree.apply', params: { ops: [{ op: 'remove', id: '12' }], text: 'é'.repeat(100) } };
  const assembler = new ChunkAssembler();
  const chunks = split(message, 'd7', 4);
  for (const chunk of chunks.slice(0, 3)) assert.deepEqual(assembler.add(chunk), { complete: false });
  assert.deepEqual(assembler.add(chunks[3]), { complete: true, message });
  assert.equal(assembler.openCount, 0);
});

test('chunks out of order and interleaved with another message still assemble', () => {
  const one = { id: 'd1', result: 'x'.repeat(50) };
  const two = { method: 'status', params: { state: 'idle' } };
  const assembler = new ChunkAssembler();
  const a = split(one, 'd1', 3);
  const b = split(two, 'h4', 2);
  assert.equal(assembler.add(a[2]).complete, false);
  assert.equal(assembler.add(b[1]).complete, false);
  assert.equal(assembler.add(a[0]).complete, false);
  assert.deepEqual(assembler.add(b[0]), { complete: true, message: two });
  assert.deepEqual(assembler.add(a[1]), { complete: true, message: one });
});

test('bad chunks are refused with the message id, and drop that message only', () => {
  const assembler = new ChunkAssembler();
  const good = split({ id: 'd2', result: 1 }, 'd2', 2);
  assembler.add(good[0]);
  const bad = [
    [null, undefined],
    [{ index: 0, count: 1, data: '' }, undefined],
    [{ id: 'd9', index: 0, count: 0, data: '' }, 'd9'],
    [{ id: 'd9', index: 2, count: 2, data: '' }, 'd9'],
    [{ id: 'd9', index: 0, count: 2, data: 5 }, 'd9'],
    [{ id: 'd9', index: 0.5, count: 2, data: '' }, 'd9'],
    [{ id: 'd9', index: 0, count: 1e9, data: '' }, 'd9'],
  ];
  for (const [chunk, id] of bad) {
    assert.throws(
      () => assembler.add(chunk),
      (error) => error instanceof ChunkError && error.messageId === id,
    );
  }
  assert.deepEqual(assembler.add(good[1]), { complete: true, message: { id: 'd2', result: 1 } });
});

test('a repeated chunk, a changed count or text that is not JSON fail the message', () => {
  const assembler = new ChunkAssembler();
  assembler.add({ id: 'd1', index: 0, count: 2, data: '{"a"' });
  assert.throws(() => assembler.add({ id: 'd1', index: 0, count: 2, data: ':1}' }), /twice/);
  assembler.add({ id: 'd1', index: 0, count: 2, data: '{"a"' });
  assert.throws(() => assembler.add({ id: 'd1', index: 1, count: 3, data: ':1}' }), /disagree/);
  assembler.add({ id: 'd1', index: 0, count: 2, data: '{"a"' });
  assert.throws(() => assembler.add({ id: 'd1', index: 1, count: 2, data: ':1' }), /not JSON/);
  assert.equal(assembler.openCount, 0);
});

test('abandoned partial messages are bounded', () => {
  const assembler = new ChunkAssembler();
  for (let i = 0; i < MAX_OPEN_MESSAGES + 5; i += 1) assembler.add({ id: `d${i}`, index: 0, count: 2, data: '' });
  assert.equal(assembler.openCount, MAX_OPEN_MESSAGES);
  assembler.clear();
  assert.equal(assembler.openCount, 0);
});
