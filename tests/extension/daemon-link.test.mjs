import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DaemonLink, HELLO_TIMEOUT_MS } from '../../extension/lib/daemon-link.js';

/** A native-messaging port the test plays the host and daemon on. */
class FakePort {
  constructor() {
    this.sent = [];
    this.messageListeners = [];
    this.disconnectListeners = [];
    this.disconnected = false;
    this.onMessage = { addListener: (fn) => this.messageListeners.push(fn) };
    this.onDisconnect = { addListener: (fn) => this.disconnectListeners.push(fn) };
  }

  postMessage(message) {
    if (this.disconnected) throw new Error('Attempting to use a disconnected port object');
    this.sent.push(structuredClone(message));
  }

  disconnect() {
    this.disconnected = true;
  }

  deliver(message) {
    for (const fn of this.messageListeners) fn(structuredClone(message));
  }

  close() {
    this.disconnected = true;
    for (const fn of this.disconnectListeners) fn();
  }
}

function setup({ onRequest = async () => ({}) } = {}) {
  let now = 0;
  const timers = new Map();
  let nextTimer = 1;
  const ports = [];
  const connections = [];
  const notifications = [];
  const hellos = [];
  let lastError;
  const link = new DaemonLink({
    connect() {
      const port = new FakePort();
      ports.push(port);
      return port;
    },
    lastError: () => lastError,
    helloParams: async () => ({ profile: { id: 'p1', browser: 'Chromium', name: 'Chromium on Linux' }, version: '0.1.0' }),
    onRequest,
    onNotification: (method, params) => notifications.push({ method, params }),
    onConnection: (connection) => connections.push(connection),
    onHello: (result) => hellos.push(result),
    log: { info() {}, warn() {} },
    now: () => now,
    random: () => 1,
    timers: {
      set(fn, ms) {
        timers.set(nextTimer, { at: now + ms, fn });
        return nextTimer++;
      },
      clear: (handle) => timers.delete(handle),
    },
  });
  return {
    link,
    ports,
    connections,
    notifications,
    hellos,
    setLastError: (text) => {
      lastError = text;
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

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function connected(env) {
  env.link.start();
  await tick();
  const port = env.ports.at(-1);
  const hello = port.sent.find((message) => message.method === 'hello');
  port.deliver({ id: hello.id, result: { daemon_version: '0.1.0', status: { state: 'idle' } } });
  await tick();
  return port;
}

test('hello carries the profile, and its answer makes the link connected', async () => {
  const env = setup();
  const port = await connected(env);
  assert.deepEqual(port.sent[0], {
    id: 'e1',
    method: 'hello',
    params: { profile: { id: 'p1', browser: 'Chromium', name: 'Chromium on Linux' }, version: '0.1.0' },
  });
  assert.deepEqual(
    env.connections.map((connection) => connection.state),
    ['connecting', 'connected'],
  );
  assert.deepEqual(env.hellos, [{ daemon_version: '0.1.0', status: { state: 'idle' } }]);
});

test('calls are matched to their answers, errors included', async () => {
  const env = setup();
  const port = await connected(env);
  const first = env.link.call('sync.now');
  const second = env.link.call('settings.get');
  const [a, b] = port.sent.slice(-2);
  port.deliver({ id: b.id, result: { sync_interval: 60 } });
  port.deliver({ id: a.id, error: { code: 'not-signed-in', message: 'Not signed in.' } });
  assert.deepEqual(await second, { sync_interval: 60 });
  await assert.rejects(first, (error) => error.code === 'not-signed-in' && error.message === 'Not signed in.');
});

test('a host that is not installed is reported as such, and retried later', async () => {
  const env = setup();
  env.link.start();
  env.setLastError('Specified native messaging host not found.');
  env.ports[0].close();
  const last = env.connections.at(-1);
  assert.equal(last.state, 'host-missing');
  assert.equal(last.retryAt, 1000);
  env.advance(1000);
  assert.equal(env.ports.length, 2);
  assert.equal(env.connections.at(-1).state, 'connecting');
});

test("the host's own reason is kept when it cannot reach the daemon", async () => {
  const env = setup();
  env.link.start();
  env.ports[0].deliver({ method: 'host.error', params: { code: 'daemon-unavailable', message: 'The foxbridge daemon did not start.' } });
  env.setLastError('Native host has exited.');
  env.ports[0].close();
  assert.deepEqual(
    { state: env.connections.at(-1).state, message: env.connections.at(-1).message },
    { state: 'daemon-unreachable', message: 'The foxbridge daemon did not start.' },
  );
  assert.deepEqual(env.notifications, []);
});

test('a daemon that never answers hello is given up on, then retried with growing waits', async () => {
  const env = setup();
  env.link.start();
  await tick();
  env.advance(HELLO_TIMEOUT_MS);
  await tick();
  assert.equal(env.ports[0].disconnected, true);
  assert.equal(env.connections.at(-1).state, 'daemon-unreachable');
  const firstRetry = env.connections.at(-1).retryAt - HELLO_TIMEOUT_MS;
  env.advance(firstRetry);
  await tick();
  env.advance(HELLO_TIMEOUT_MS);
  await tick();
  const secondRetry = env.connections.at(-1).retryAt - (HELLO_TIMEOUT_MS * 2 + firstRetry);
  assert.equal(secondRetry, firstRetry * 2);
});

test('pending calls fail when the port closes, and calls fail fast while disconnected', async () => {
  const env = setup();
  const port = await connected(env);
  const pending = env.link.call('sync.now');
  env.setLastError('Native host has exited.');
  port.close();
  await assert.rejects(pending, (error) => error.code === 'not-connected');
  await assert.rejects(env.link.call('status'), (error) => error.code === 'not-connected');
  assert.equal(env.link.notify('bookmarks.changed', { events: [] }), false);
});

test('retryNow skips the backoff', async () => {
  const env = setup();
  env.link.start();
  env.setLastError('Specified native messaging host not found.');
  env.ports[0].close();
  env.link.retryNow();
  assert.equal(env.ports.length, 2);
  env.link.retryNow(); // already connecting: no second port
  assert.equal(env.ports.length, 2);
});

test("the daemon's requests are served and answered, chunked or not", async () => {
  const seen = [];
  const env = setup({
    onRequest: async (method, params) => {
      seen.push(method);
      return { echoed: params };
    },
  });
  const port = await connected(env);
  port.deliver({ id: 'd1', method: 'tree.get', params: {} });
  const text = JSON.stringify({ id: 'd2', method: 'tree.apply', params: { ops: ['x'.repeat(30)] } });
  port.deliver({ chunk: { id: 'd2', index: 1, count: 2, data: text.slice(20) } });
  port.deliver({ chunk: { id: 'd2', index: 0, count: 2, data: text.slice(0, 20) } });
  await tick();
  assert.deepEqual(seen, ['tree.get', 'tree.apply']);
  assert.deepEqual(port.sent.slice(-2), [
    { id: 'd1', result: { echoed: {} } },
    { id: 'd2', result: { echoed: { ops: ['x'.repeat(30)] } } },
  ]);
});

test('malformed messages are dropped; malformed requests get a bad-request answer', async () => {
  const failing = setup({
    onRequest: async () => {
      throw new Error('the browser refused');
    },
  });
  const port = await connected(failing);
  const before = port.sent.length;
  port.deliver('garbage');
  port.deliver({ id: 'd5', method: 'tree.get', params: 'all' });
  port.deliver({ chunk: { id: 'd6', index: 3, count: 2, data: '' } });
  port.deliver({ id: 'e999', result: {} }); // an answer nobody waits for
  port.deliver({ id: 'd7', method: 'tree.get' });
  await tick();
  const answers = port.sent.slice(before);
  assert.deepEqual(
    answers.map((answer) => [answer.id, answer.error?.code]),
    [
      ['d5', 'bad-request'],
      ['d6', 'bad-request'],
      ['d7', 'failed'],
    ],
  );
  assert.equal(answers[2].error.message, 'the browser refused');
  assert.equal(failing.connections.at(-1).state, 'connected');
});

test('an answer the port refuses is replaced by a too-large error', async () => {
  const env = setup({ onRequest: async () => ({ tree: 'huge' }) });
  const port = await connected(env);
  const post = port.postMessage.bind(port);
  port.postMessage = (message) => {
    if (message.result?.tree === 'huge') throw new Error('Message exceeded maximum allowed size of 64MiB.');
    post(message);
  };
  port.deliver({ id: 'd3', method: 'tree.get', params: {} });
  await tick();
  assert.deepEqual(port.sent.at(-1).error.code, 'too-large');
  assert.equal(port.sent.at(-1).id, 'd3');
});

test('status notifications are passed on; a connection that lasted resets the backoff', async () => {
  const env = setup();
  const port = await connected(env);
  port.deliver({ method: 'status', params: { state: 'syncing' } });
  assert.deepEqual(env.notifications, [{ method: 'status', params: { state: 'syncing' } }]);
  env.advance(60_000);
  env.setLastError('Native host has exited.');
  port.close();
  assert.equal(env.connections.at(-1).retryAt - 60_000, 1000);
});
