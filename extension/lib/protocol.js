// The shapes of the messages exchanged with the daemon (docs/ipc.md), and their checks.
// Pure: nothing here touches the browser, so the rules can be tested under node.

/** Methods the extension's own pages may send to the daemon through the service worker. */
export const PAGE_METHODS = new Set([
  'status',
  'login.password',
  'login.code',
  'login.web.begin',
  'logout',
  'sync.now',
  'sync.pause',
  'sync.resume',
  'sync.confirm',
  'settings.get',
  'settings.set',
  'snapshots.list',
  'snapshots.restore',
]);

/** An error to send back as `{"error": {code, message, data}}`, or received as one. */
export class RpcError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {object} [data]
   */
  constructor(code, message, data = {}) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }

  toJSON() {
    return { code: this.code, message: this.message, data: this.data };
  }
}

export function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value) {
  return typeof value === 'string' && value.length > 0;
}

/**
 * Sort one message from the port into what it is.
 *
 * @param {unknown} message
 * @returns {{kind: 'request', id: string, method: string, params: object}
 *   | {kind: 'notification', method: string, params: object}
 *   | {kind: 'result', id: string, result: unknown}
 *   | {kind: 'error', id: string, error: {code: string, message: string, data: object}}
 *   | {kind: 'chunk', chunk: {id: string, index: number, count: number, data: string}}
 *   | {kind: 'invalid', reason: string, id?: string}}
 */
export function classifyMessage(message) {
  if (!isPlainObject(message)) {
    return { kind: 'invalid', reason: 'the message is not a JSON object' };
  }
  if ('chunk' in message) {
    return { kind: 'chunk', chunk: message.chunk };
  }
  const hasId = 'id' in message;
  if (hasId && !isNonEmptyString(message.id)) {
    return { kind: 'invalid', reason: 'its id is not a non-empty string' };
  }
  const id = hasId ? message.id : undefined;
  const invalid = (reason) => (hasId ? { kind: 'invalid', reason, id } : { kind: 'invalid', reason });

  if ('method' in message) {
    if (!isNonEmptyString(message.method)) {
      return invalid('its method is not a non-empty string');
    }
    if ('result' in message || 'error' in message) {
      return invalid('it has both a method and a result or error');
    }
    const params = message.params ?? {};
    if (!isPlainObject(params)) {
      return invalid(`the params of ${message.method} are not an object`);
    }
    return hasId
      ? { kind: 'request', id, method: message.method, params }
      : { kind: 'notification', method: message.method, params };
  }
  if (!hasId) {
    return invalid('it has neither an id nor a method');
  }
  if ('result' in message && 'error' in message) {
    return invalid('it has both a result and an error');
  }
  if ('result' in message) {
    return { kind: 'result', id, result: message.result };
  }
  if ('error' in message) {
    const error = message.error;
    if (!isPlainObject(error) || !isNonEmptyString(error.code) || typeof error.message !== 'string') {
      return invalid('its error has no code and message');
    }
    const data = isPlainObject(error.data) ? error.data : {};
    return { kind: 'error', id, error: { code: error.code, message: error.message, data } };
  }
  return invalid('it has an id but no method, result or error');
}

/** An answer to a request of the daemon. */
export function resultMessage(id, result) {
  return { id, result };
}

/** An error answer to a request of the daemon. */
export function errorMessage(id, code, message, data = {}) {
  return { id, error: { code, message, data } };
}

/** Hands out request ids with the extension's prefix, so they never meet the daemon's. */
export class RequestIds {
  #next = 1;

  next() {
    return `e${this.#next++}`;
  }
}
