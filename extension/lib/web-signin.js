// Signing in on the account server's own page: which pages the extension can serve, and
// which messages about it to believe. Pure; background.js keeps the pending sign-in.

import { isPlainObject } from './protocol.js';

export const WEB_SIGNIN_TIMEOUT_MS = 15 * 60_000; // the page's codes expire well before this

// Where webchannel.js runs (manifest.json, content_scripts): Mozilla's page, and servers
// on this computer (self-hosted test stacks). Match patterns without a port match any.
const COVERED = [
  (url) => url.protocol === 'https:' && url.host === 'accounts.firefox.com',
  (url) => url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost'),
];

/**
 * Whether the sign-in page at this origin gets the extension's content script: from the
 * manifest, or (`registered`) registered at run time for a self-hosted server the user
 * allowed.
 */
export function isCoveredOrigin(origin, registered = []) {
  try {
    const url = new URL(origin);
    return url.origin === origin && (COVERED.some((covers) => covers(url)) || registered.includes(origin));
  } catch {
    return false;
  }
}

/**
 * The content script registration for a self-hosted server's sign-in page (an https
 * origin, or http on this computer), or null for any other origin.
 */
export function contentScriptFor(origin) {
  let url;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.origin !== origin || !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))) return null;
  return {
    id: `webchannel-${origin.replace(/[^A-Za-z0-9]/g, '_')}`,
    matches: [`${origin}/*`],
    js: ['webchannel.js'],
    runAt: 'document_start',
    allFrames: false,
    persistAcrossSessions: true,
  };
}

/**
 * Check the daemon's answer to `login.web.begin`.
 *
 * @returns {{ok: true, url: string, origin: string, state: string} | {ok: false, message: string}}
 */
export function checkBegun(result, registered = []) {
  if (!isPlainObject(result) || typeof result.url !== 'string' || typeof result.state !== 'string' || result.state === '') {
    return { ok: false, message: 'foxbridge did not say which sign-in page to open.' };
  }
  let url;
  try {
    url = new URL(result.url);
  } catch {
    return { ok: false, message: 'foxbridge gave a sign-in address that is not a web address.' };
  }
  const origin = typeof result.origin === 'string' ? result.origin : url.origin;
  if (url.origin !== origin) return { ok: false, message: 'foxbridge gave a sign-in address on an unexpected server.' };
  if (!isCoveredOrigin(origin, registered)) {
    return {
      ok: false,
      message: `This extension cannot sign in on the page of ${origin} yet. Use “Other ways to sign in”.`,
    };
  }
  return { ok: true, url: url.href, origin, state: result.state };
}

/**
 * Whether a message comes from the top frame of the tab opened for the pending sign-in,
 * still showing that server's page, in time.
 *
 * @param {{tab?: {id?: number}, frameId?: number, url?: string}} sender
 * @param {{tabId: number, origin: string, startedAt: number} | null | undefined} pending
 */
export function isFromSigninTab(sender, pending, now) {
  if (!pending || sender.tab?.id !== pending.tabId || sender.frameId !== 0) return false;
  if (now - pending.startedAt > WEB_SIGNIN_TIMEOUT_MS) return false;
  try {
    return new URL(sender.url).origin === pending.origin;
  } catch {
    return false;
  }
}

/**
 * The parameters of `login.web.complete` from the content script's message, or null.
 * Only the documented fields pass: never a session token.
 */
export function completionParams(message, pending) {
  if (!isPlainObject(message) || !pending) return null;
  const { state, code, login } = message;
  if (state !== pending.state || typeof code !== 'string' || !/^[0-9a-f]{64}$/.test(code)) return null;
  const params = { state, code };
  if (isPlainObject(login) && typeof login.uid === 'string' && typeof login.email === 'string') {
    params.login = { uid: login.uid, email: login.email, verified: login.verified === true };
  }
  return params;
}
