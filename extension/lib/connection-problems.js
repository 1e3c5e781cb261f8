// Why the native-messaging port closed, in the extension's own terms. Chromium reports the
// reason only as English text in chrome.runtime.lastError; these are the strings it uses.
// Pure.

/**
 * Connection states of the service worker's link to the daemon:
 * - `connecting`: a port is open and `hello` is on its way;
 * - `connected`: the daemon answered `hello`;
 * - `host-missing`: the browser knows no `org.foxbridge.host` (foxbridge is not installed
 *   for this browser);
 * - `host-forbidden`: the host is registered, but not for this extension's id;
 * - `daemon-unreachable`: the host ran but could not reach or start the daemon, or the
 *   daemon did not answer.
 */
export const CONNECTION_STATES = new Set([
  'connecting',
  'connected',
  'host-missing',
  'host-forbidden',
  'daemon-unreachable',
]);

const HOST_NOT_FOUND = /native messaging host not found/i;
const HOST_FORBIDDEN = /access to the specified native messaging host is forbidden/i;
const BAD_HOST_NAME = /invalid native messaging host name/i;

/**
 * The connection state that follows a closed port.
 *
 * @param {string | undefined} errorText chrome.runtime.lastError?.message at onDisconnect
 * @param {string | null} hostMessage what the host said in a `host.error` before closing
 * @returns {{state: string, message: string}}
 */
export function classifyDisconnect(errorText, hostMessage = null) {
  const text = typeof errorText === 'string' ? errorText : '';
  if (HOST_NOT_FOUND.test(text) || BAD_HOST_NAME.test(text)) {
    return {
      state: 'host-missing',
      message: 'foxbridge is not installed for this browser.',
    };
  }
  if (HOST_FORBIDDEN.test(text)) {
    return {
      state: 'host-forbidden',
      message: 'foxbridge is installed, but not for this copy of the extension.',
    };
  }
  if (hostMessage) {
    return { state: 'daemon-unreachable', message: hostMessage };
  }
  if (text) {
    return {
      state: 'daemon-unreachable',
      message: `The foxbridge service did not answer (${text.replace(/\.$/, '')}).`,
    };
  }
  return { state: 'daemon-unreachable', message: 'The foxbridge service closed the connection.' };
}
