import assert from 'node:assert/strict';
import { test } from 'node:test';

import { classifyMessage, errorMessage, RequestIds, resultMessage, RpcError } from '../../extension/lib/protocol.js';

test('requests, notifications, results and errors are told apart', () => {
  assert.deepEqual(classifyMessage({ id: 'd1', method: 'tree.get', params: {} }), {
    kind: 'request',
    id: 'd1',
    method: 'tree.get',
    params: {},
  });
  assert.deepEqual(classifyMessage({ id: 'd2', method: 'tree.get' }).params, {});
  assert.deepEqual(classifyMessage({ method: 'status', params: { state: 'idle' } }), {
    kind: 'notification',
    method: 'status',
    params: { state: 'idle' },
  });
  assert.deepEqual(classifyMessage({ id: 'e1', result: null }), { kind: 'result', id: 'e1', result: null });
  assert.deepEqual(classifyMessage({ id: 'e2', error: { code: 'not-signed-in', message: 'Not signed in.' } }), {
    kind: 'error',
    id: 'e2',
    error: { code: 'not-signed-in', message: 'Not signed in.', data: {} },
  });
  assert.equal(classifyMessage({ chunk: { id: 'd3', index: 0, count: 1, data: '{}' } }).kind, 'chunk');
});

test('malformed messages are invalid, keeping the id when there is one', () => {
  const cases = [
    [null, undefined],
    [[], undefined],
    ['text', undefined],
    [{}, undefined],
    [{ id: 7, method: 'tree.get' }, undefined],
    [{ id: '', method: 'tree.get' }, undefined],
    [{ id: 'd1', method: '' }, 'd1'],
    [{ id: 'd1', method: 'tree.get', params: [] }, 'd1'],
    [{ id: 'd1', method: 'tree.get', result: {} }, 'd1'],
    [{ id: 'e1', result: 1, error: { code: 'x', message: 'y' } }, 'e1'],
    [{ id: 'e1', error: 'boom' }, 'e1'],
    [{ id: 'e1', error: { message: 'no code' } }, 'e1'],
    [{ id: 'e1' }, 'e1'],
    [{ method: 'status', params: 'idle' }, undefined],
  ];
  for (const [message, id] of cases) {
    const classified = classifyMessage(message);
    assert.equal(classified.kind, 'invalid', JSON.stringify(message));
    assert.equal(typeof classified.reason, 'string');
    assert.equal(classified.id, id, JSON.stringify(message));
  }
});

test('answers have the documented shapes', () => {
  assert.deepEqual(resultMessage('d1', { ok: 1 }), { id: 'd1', result: { ok: 1 } });
  assert.deepEqual(errorMessage('d1', 'bad-request', 'No.'), { id: 'd1', error: { code: 'bad-request', message: 'No.', data: {} } });
  assert.deepEqual(JSON.parse(JSON.stringify(new RpcError('x', 'y'))), { code: 'x', message: 'y', data: {} });
});

test('request ids carry the extension prefix and never repeat', () => {
  const ids = new RequestIds();
  assert.deepEqual([ids.next(), ids.next(), ids.next()], ['e1', 'e2', 'e3']);
});
