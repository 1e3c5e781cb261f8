// How the extension's pages talk to the service worker: one call per daemon method, and a
// live view of the connection and sync status.

/** An error answered by the daemon or the service worker, with its code. */
export class CallError extends Error {
  constructor({ code, message, data }) {
    super(message);
    this.name = 'CallError';
    this.code = code;
    this.data = data ?? {};
  }
}

/**
 * Ask the daemon something through the service worker.
 *
 * @param {string} method one of PAGE_METHODS (lib/protocol.js)
 * @param {object} [params]
 */
export async function call(method, params = {}) {
  let answer;
  try {
    answer = await chrome.runtime.sendMessage({ type: 'call', method, params });
  } catch {
    throw new CallError({ code: 'not-connected', message: 'The extension is restarting; try again in a moment.' });
  }
  if (!answer || typeof answer !== 'object') {
    throw new CallError({ code: 'failed', message: 'No answer from the extension.' });
  }
  if (!answer.ok) throw new CallError(answer.error ?? { code: 'failed', message: 'The request failed.' });
  return answer.result;
}

/**
 * Start signing in on the account server's own page: the service worker asks the daemon
 * for the page's address and opens it in a new tab.
 */
export async function beginWebSignin(params = {}) {
  let answer;
  try {
    answer = await chrome.runtime.sendMessage({ type: 'web-signin', params });
  } catch {
    throw new CallError({ code: 'not-connected', message: 'The extension is restarting; try again in a moment.' });
  }
  if (!answer?.ok) throw new CallError(answer?.error ?? { code: 'failed', message: 'Signing in could not start.' });
  return answer.result;
}

/** Ask the service worker to reconnect to the daemon now. */
export function retryConnection() {
  return chrome.runtime.sendMessage({ type: 'retry' }).catch(() => {});
}

/**
 * Call `onView(view)` with the service worker's view now and whenever it changes.
 * The service worker may be restarted by the browser; the subscription follows it.
 */
export function watchView(onView) {
  const connect = () => {
    const port = chrome.runtime.connect({ name: 'ui' });
    port.onMessage.addListener((message) => {
      if (message?.type === 'view') onView(message.view);
    });
    port.onDisconnect.addListener(() => setTimeout(connect, 250));
  };
  connect();
}
