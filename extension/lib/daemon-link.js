// The service worker's one native-messaging port to the daemon (through the host):
// connecting and saying hello, reconnecting with backoff, matching answers to requests,
// reassembling chunked messages and refusing malformed ones.
//
// The browser is reached only through the functions passed in, so the link can be driven
// by a fake port in the unit tests.

import { reconnectDelay, NOT_INSTALLED_MAX_MS, RECONNECT_MAX_MS } from './backoff.js';
import { ChunkAssembler, ChunkError } from './chunks.js';
import { classifyDisconnect } from './connection-problems.js';
import { classifyMessage, errorMessage, RequestIds, resultMessage, RpcError } from './protocol.js';

export const HELLO_TIMEOUT_MS = 20_000; // the host may have to start the daemon (15 s at most)
export const CALL_TIMEOUT_MS = 120_000; // sign-in talks to the servers; allow for slow ones
const STABLE_AFTER_MS = 30_000; // a connection that lived this long resets the backoff

/**
 * @typedef {{
 *   postMessage(message: object): void,
 *   disconnect(): void,
 *   onMessage: {addListener(fn: (message: unknown) => void): void},
 *   onDisconnect: {addListener(fn: () => void): void},
 * }} Port
 *
 * @typedef {{
 *   connect: () => Port,
 *   lastError: () => string | undefined,
 *   helloParams: () => Promise<object>,
 *   onRequest: (method: string, params: object) => Promise<unknown>,
 *   onNotification: (method: string, params: object) => void,
 *   onConnection: (connection: {state: string, message?: string, retryAt?: number}) => void,
 *   onHello: (result: object) => void,
 *   log?: {info: Function, warn: Function},
 *   now?: () => number,
 *   timers?: {set: Function, clear: Function},
 *   random?: () => number,
 * }} LinkOptions
 */

export class DaemonLink {
  #options;
  #ids = new RequestIds();
  #chunks = new ChunkAssembler();
  /** @type {Map<string, {resolve: Function, reject: Function, timer: unknown}>} */
  #pending = new Map();
  /** @type {Port | null} */
  #port = null;
  #connection = { state: 'connecting' };
  #attempt = 0;
  #retryTimer = null;
  #connectedAt = null;
  #hostMessage = null;

  /** @param {LinkOptions} options */
  constructor(options) {
    this.#options = { log: console, now: () => Date.now(), timers: { set: (fn, ms) => setTimeout(fn, ms), clear: (handle) => clearTimeout(handle) }, random: () => Math.random(), ...options };
  }

  get connection() {
    return this.#connection;
  }

  get connected() {
    return this.#connection.state === 'connected';
  }

  /** Open the port unless one is open or opening. */
  start() {
    if (this.#port) return;
    this.#cancelRetry();
    this.#hostMessage = null;
    this.#setConnection({ state: 'connecting' });
    let port;
    try {
      port = this.#options.connect();
    } catch (error) {
      this.#closed(error instanceof Error ? error.message : String(error));
      return;
    }
    this.#port = port;
    port.onMessage.addListener((message) => {
      if (this.#port === port) this.#receive(message);
    });
    port.onDisconnect.addListener(() => {
      // Reading lastError here also keeps Chromium from logging it as unchecked.
      const errorText = this.#options.lastError();
      if (this.#port === port) this.#closed(errorText);
    });
    this.#sayHello(port);
  }

  /** Reconnect now instead of waiting for the backoff (the user is looking). */
  retryNow() {
    if (this.#port) return;
    this.#attempt = 0;
    this.start();
  }

  /**
   * Send a request to the daemon and wait for its answer.
   *
   * @returns {Promise<unknown>} the result; rejects with an RpcError
   */
  call(method, params = {}, { timeoutMs = CALL_TIMEOUT_MS } = {}) {
    if (!this.connected) {
      return Promise.reject(new RpcError('not-connected', this.#connection.message ?? 'Not connected to foxbridge yet.'));
    }
    return this.#request(this.#port, method, params, timeoutMs);
  }

  /** Send a notification (no answer). Returns whether it could be sent. */
  notify(method, params) {
    if (!this.connected) return false;
    return this.#post(this.#port, { method, params });
  }

  #request(port, method, params, timeoutMs) {
    const id = this.#ids.next();
    return new Promise((resolve, reject) => {
      const timer = this.#options.timers.set(() => {
        this.#pending.delete(id);
        reject(new RpcError('timeout', 'foxbridge did not answer in time.'));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      if (!this.#post(port, { id, method, params })) {
        this.#settle(id, (entry) => entry.reject(new RpcError('not-connected', 'The connection to foxbridge was lost.')));
      }
    });
  }

  async #sayHello(port) {
    let result;
    try {
      const params = await this.#options.helloParams();
      if (this.#port !== port) return;
      result = await this.#request(port, 'hello', params, HELLO_TIMEOUT_MS);
    } catch (error) {
      if (this.#port !== port) return;
      this.#options.log.warn(`foxbridge: hello failed: ${error.message}`);
      this.#hostMessage = error.code === 'timeout' ? 'The foxbridge service did not answer.' : error.message;
      this.#drop(port);
      return;
    }
    if (this.#port !== port) return;
    this.#connectedAt = this.#options.now();
    this.#setConnection({ state: 'connected' });
    this.#options.onHello(result && typeof result === 'object' ? result : {});
  }

  #post(port, message) {
    try {
      port.postMessage(message);
      return true;
    } catch (error) {
      // Too large, or the port is already gone; onDisconnect follows in the second case.
      this.#options.log.warn(`foxbridge: could not send ${message.method ?? 'an answer'}: ${error.message}`);
      return false;
    }
  }

  #receive(raw) {
    let message = classifyMessage(raw);
    if (message.kind === 'chunk') {
      let assembled;
      try {
        assembled = this.#chunks.add(message.chunk);
      } catch (error) {
        if (!(error instanceof ChunkError)) throw error;
        this.#refuse(error.message, error.messageId);
        return;
      }
      if (!assembled.complete) return;
      message = classifyMessage(assembled.message);
      if (message.kind === 'chunk') {
        this.#refuse('a chunk inside a chunk', undefined);
        return;
      }
    }
    switch (message.kind) {
      case 'invalid':
        this.#refuse(message.reason, message.id);
        return;
      case 'result':
      case 'error':
        this.#answer(message);
        return;
      case 'notification':
        this.#notification(message.method, message.params);
        return;
      case 'request':
        this.#serve(message);
        return;
      default:
        return;
    }
  }

  #refuse(reason, id) {
    this.#options.log.warn(`foxbridge: dropped a message from the daemon: ${reason}`);
    // Only the daemon's own requests get an answer; their ids start with "d".
    if (typeof id === 'string' && id.startsWith('d') && this.#port) {
      this.#post(this.#port, errorMessage(id, 'bad-request', `Malformed message: ${reason}.`));
    }
  }

  #answer(message) {
    const known = this.#settle(message.id, (entry) => {
      if (message.kind === 'result') entry.resolve(message.result);
      else entry.reject(new RpcError(message.error.code, message.error.message, message.error.data));
    });
    if (!known) this.#options.log.warn(`foxbridge: an answer to an unknown request ${message.id}`);
  }

  #notification(method, params) {
    if (method === 'host.error') {
      // The host could not reach the daemon and is about to exit; keep its reason.
      if (typeof params.message === 'string') this.#hostMessage = params.message;
      return;
    }
    this.#options.onNotification(method, params);
  }

  async #serve({ id, method, params }) {
    const port = this.#port;
    let reply;
    try {
      reply = resultMessage(id, await this.#options.onRequest(method, params));
    } catch (error) {
      const code = error instanceof RpcError ? error.code : 'failed';
      reply = errorMessage(id, code, error.message || 'The request failed.');
    }
    if (this.#port !== port) return;
    if (!this.#post(port, reply)) {
      // Chromium refuses messages over 64 MiB; the daemon still gets an answer.
      this.#post(port, errorMessage(id, 'too-large', `The answer to ${method} is too large to send.`));
    }
  }

  #settle(id, action) {
    const entry = this.#pending.get(id);
    if (!entry) return false;
    this.#pending.delete(id);
    this.#options.timers.clear(entry.timer);
    action(entry);
    return true;
  }

  #drop(port) {
    try {
      port.disconnect();
    } catch {
      // already closed
    }
    this.#closed(undefined);
  }

  #closed(errorText) {
    const wasStable = this.#connectedAt !== null && this.#options.now() - this.#connectedAt >= STABLE_AFTER_MS;
    this.#port = null;
    this.#connectedAt = null;
    this.#chunks.clear();
    for (const id of [...this.#pending.keys()]) {
      this.#settle(id, (entry) => entry.reject(new RpcError('not-connected', 'The connection to foxbridge was lost.')));
    }
    const { state, message } = classifyDisconnect(errorText, this.#hostMessage);
    if (wasStable) this.#attempt = 0;
    const maxMs = state === 'host-missing' || state === 'host-forbidden' ? NOT_INSTALLED_MAX_MS : RECONNECT_MAX_MS;
    const delay = reconnectDelay(this.#attempt, { maxMs, random: this.#options.random });
    this.#attempt += 1;
    this.#options.log.info(`foxbridge: ${message} Retrying in ${Math.round(delay / 1000)} s.`);
    this.#setConnection({ state, message, retryAt: this.#options.now() + delay });
    this.#retryTimer = this.#options.timers.set(() => {
      this.#retryTimer = null;
      this.start();
    }, delay);
  }

  #cancelRetry() {
    if (this.#retryTimer !== null) {
      this.#options.timers.clear(this.#retryTimer);
      this.#retryTimer = null;
    }
  }

  #setConnection(connection) {
    this.#connection = connection;
    this.#options.onConnection(connection);
  }
}
