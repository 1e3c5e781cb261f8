// Checking server addresses typed by the user. Pure.

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

function isLoopback(hostname) {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * A server URL the daemon may use: https, or plain http on this computer only.
 *
 * @param {string} text
 * @returns {{ok: true, url: string} | {ok: false, message: string}}
 */
export function checkServerUrl(text) {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, message: 'Enter the server’s address.' };
  let url;
  try {
    url = new URL(trimmed);
  } catch {
    return { ok: false, message: 'That is not a web address (it should start with https://).' };
  }
  if (url.username || url.password) return { ok: false, message: 'The address must not contain a user name or password.' };
  if (url.protocol === 'https:') return { ok: true, url: stripTrailingSlash(url.href) };
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return { ok: true, url: stripTrailingSlash(url.href) };
  if (url.protocol === 'http:') return { ok: false, message: 'Use https:// (plain http:// only works for this computer).' };
  return { ok: false, message: 'The address must start with https://.' };
}

function stripTrailingSlash(href) {
  return href.endsWith('/') && new URL(href).pathname === '/' ? href.slice(0, -1) : href;
}
