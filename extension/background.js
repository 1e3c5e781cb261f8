// The service worker: keeps the link to the daemon, answers its requests with the
// browser's bookmarks, reports local changes, and serves the extension's pages.
// The rules live in lib/; this file only wires them to the chrome.* APIs.

import { applyOperations } from './lib/apply.js';
import { badgeFor } from './lib/badge.js';
import { detectBrowser } from './lib/browser-name.js';
import { ChangeBatcher } from './lib/changes.js';
import { DaemonLink } from './lib/daemon-link.js';
import { EchoFilter, echoKeys } from './lib/echoes.js';
import { PAGE_METHODS, RpcError } from './lib/protocol.js';
import { parseStatus } from './lib/status.js';
import { checkBegun, completionParams, contentScriptFor, isCoveredOrigin, isFromSigninTab } from './lib/web-signin.js';

const HOST_NAME = 'org.foxbridge.host';
const PROFILE_ID_KEY = 'profileId';
const UI_PORT_NAME = 'ui';
const RECONNECT_ALARM = 'reconnect';
const WEB_SIGNIN_KEY = 'webSignin'; // chrome.storage.session: the pending sign-in on the account's page

const browserName = detectBrowser({
  brands: navigator.userAgentData?.brands ?? [],
  userAgent: navigator.userAgent,
  isBrave: 'brave' in navigator,
});

// ---- What the pages see: the link's state and the daemon's last status ----------------

/**
 * @type {{connection: {state: string, message?: string, retryAt?: number}, status: object | null,
 *   browser: string, webSignin: {state: 'waiting' | 'failed' | 'cancelled', message?: string} | null}}
 */
const view = { connection: { state: 'connecting' }, status: null, browser: browserName, webSignin: null };
/** @type {Set<chrome.runtime.Port>} */
const uiPorts = new Set();

function publish() {
  const badge = badgeFor(view);
  chrome.action.setBadgeText({ text: badge.text });
  chrome.action.setBadgeBackgroundColor({ color: badge.color });
  chrome.action.setTitle({ title: badge.title });
  for (const port of uiPorts) port.postMessage({ type: 'view', view });
}

function acceptStatus(raw) {
  const parsed = parseStatus(raw);
  if (!parsed.ok) {
    console.warn(`foxbridge: ignored a status from the daemon: ${parsed.reason}`);
    return;
  }
  view.status = parsed.status;
  publish();
}

// ---- The profile: a random id kept for this browser profile ---------------------------

async function profileId() {
  const stored = await chrome.storage.local.get(PROFILE_ID_KEY);
  if (typeof stored[PROFILE_ID_KEY] === 'string') return stored[PROFILE_ID_KEY];
  const id = crypto.randomUUID();
  await chrome.storage.local.set({ [PROFILE_ID_KEY]: id });
  return id;
}

const OS_NAMES = { linux: 'Linux', mac: 'macOS', win: 'Windows', cros: 'ChromeOS', openbsd: 'OpenBSD', android: 'Android' };

async function helloParams() {
  const [id, platform] = await Promise.all([profileId(), chrome.runtime.getPlatformInfo()]);
  const os = OS_NAMES[platform.os] ?? platform.os;
  return {
    profile: { id, browser: browserName, name: `${browserName} on ${os}` },
    version: chrome.runtime.getManifest().version,
  };
}

// ---- Requests from the daemon --------------------------------------------------------

const echoes = new EchoFilter();
let applying = Promise.resolve(); // tree.apply batches run one after another

const bookmarksApi = {
  create: (details) => chrome.bookmarks.create(details),
  update: (id, changes) => chrome.bookmarks.update(id, changes),
  move: (id, destination) => chrome.bookmarks.move(id, destination),
  removeTree: (id) => chrome.bookmarks.removeTree(id),
};

async function serveDaemon(method, params) {
  switch (method) {
    case 'tree.get':
      return { tree: await chrome.bookmarks.getTree() };
    case 'tree.apply': {
      if (!Array.isArray(params.ops)) throw new RpcError('bad-request', 'tree.apply needs a list of ops.');
      const run = applying.then(() => applyOperations(bookmarksApi, params.ops, { echoes }));
      applying = run.catch(() => {});
      try {
        return await run;
      } catch (error) {
        throw new RpcError('bad-request', `tree.apply refused: ${error.message}.`);
      }
    }
    default:
      throw new RpcError('bad-request', `Unknown method ${method}.`);
  }
}

function onDaemonNotification(method, params) {
  if (method === 'status') {
    acceptStatus(params);
  } else if (method === 'login.web.open') {
    // `foxbridge login --browser`: the daemon began the flow and asks this browser to show it.
    openWebSignin(params).catch((error) => {
      console.warn(`foxbridge: could not open the sign-in page: ${error.message}`);
      setWebSignin('failed', error.message);
    });
  } else {
    console.warn(`foxbridge: ignored an unknown notification ${method}`);
  }
}

// Local changes wait here briefly, then go to the daemon as one notification.
const changes = new ChangeBatcher({ send: (events) => link.notify('bookmarks.changed', { events }) });

const link = new DaemonLink({
  connect: () => chrome.runtime.connectNative(HOST_NAME),
  lastError: () => chrome.runtime.lastError?.message,
  helloParams,
  onRequest: serveDaemon,
  onNotification: onDaemonNotification,
  onConnection(connection) {
    view.connection = connection;
    if (connection.state !== 'connected') changes.discard();
    publish();
  },
  onHello(result) {
    if ('status' in result) acceptStatus(result.status);
  },
});

// ---- Local bookmark changes ------------------------------------------------------------

function reportUnlessEcho(type, id, echoKeyList) {
  if (echoes.consume(echoKeyList, Date.now())) return;
  changes.add(type, id);
}

chrome.bookmarks.onCreated.addListener((id, node) => {
  reportUnlessEcho('created', id, [echoKeys.created(id), echoKeys.createdUnder(node.parentId, node.title)]);
});
chrome.bookmarks.onChanged.addListener((id) => reportUnlessEcho('changed', id, [echoKeys.changed(id)]));
chrome.bookmarks.onMoved.addListener((id) => reportUnlessEcho('moved', id, [echoKeys.moved(id)]));
chrome.bookmarks.onRemoved.addListener((id) => reportUnlessEcho('removed', id, [echoKeys.removed(id)]));
chrome.bookmarks.onChildrenReordered.addListener((id) => changes.add('reordered', id));
chrome.bookmarks.onImportBegan?.addListener(() => changes.add('import-begin'));
chrome.bookmarks.onImportEnded?.addListener(() => changes.add('import-end'));

// ---- Signing in on the account server's own page -------------------------------------------
// The daemon makes the flow (PKCE, its one-time key); the extension opens the page in a tab
// and webchannel.js hands back the page's one-time code, which the daemon redeems.

// The sign-in page may ask whether it is the sign-in tab before the tab's id is stored.
let webSigninOpening = Promise.resolve();

async function pendingWebSignin() {
  await webSigninOpening;
  const stored = await chrome.storage.session.get(WEB_SIGNIN_KEY);
  return stored[WEB_SIGNIN_KEY] ?? null;
}

function setWebSignin(state, message) {
  view.webSignin = state ? { state, ...(message ? { message } : {}) } : null;
  publish();
}

async function beginWebSignin(params) {
  await openWebSignin(await link.call('login.web.begin', params));
  return { started: true };
}

/** Open the account page of a flow the daemon began, and wait for its code. */
async function openWebSignin(flow) {
  const begun = checkBegun(flow, await allowSelfHostedPage(flow?.origin));
  if (!begun.ok) throw new RpcError('not-available', begun.message);
  let opened;
  webSigninOpening = new Promise((resolve) => {
    opened = resolve;
  });
  try {
    const tab = await chrome.tabs.create({ url: begun.url });
    await chrome.storage.session.set({
      [WEB_SIGNIN_KEY]: { tabId: tab.id, state: begun.state, origin: begun.origin, startedAt: Date.now() },
    });
  } finally {
    opened();
  }
  setWebSignin('waiting');
}

/**
 * A self-hosted server's page gets webchannel.js once the user allowed its origin (the
 * sign-in page asks, on the click that starts signing in): registered here, at run time.
 * The origins so covered, for checkBegun.
 */
async function allowSelfHostedPage(origin) {
  const script = typeof origin === 'string' && !isCoveredOrigin(origin) ? contentScriptFor(origin) : null;
  if (!script || !(await chrome.permissions.contains({ origins: script.matches }))) return [];
  const existing = await chrome.scripting.getRegisteredContentScripts({ ids: [script.id] });
  if (existing.length === 0) await chrome.scripting.registerContentScripts([script]);
  return [origin];
}

async function completeWebSignin(message, pending) {
  const params = completionParams(message, pending);
  if (!params) {
    console.warn('foxbridge: ignored a sign-in answer that does not belong to the pending sign-in');
    return;
  }
  await chrome.storage.session.remove(WEB_SIGNIN_KEY);
  try {
    await link.call('login.web.complete', params);
    setWebSignin(null);
    await chrome.tabs.remove(pending.tabId).catch(() => {});
  } catch (error) {
    setWebSignin('failed', error.message);
  }
}

/** Messages from webchannel.js; only the pending sign-in's tab is listened to. */
function onContentScriptMessage(message, sender, sendResponse) {
  pendingWebSignin().then((pending) => {
    const fromSigninTab = isFromSigninTab(sender, pending, Date.now());
    if (message?.type === 'web-signin-armed') {
      sendResponse(fromSigninTab ? { state: pending.state } : {});
      return;
    }
    sendResponse({});
    if (message?.type === 'web-signin-code' && fromSigninTab) completeWebSignin(message, pending);
  });
  return true;
}

chrome.tabs.onRemoved.addListener((tabId) => {
  pendingWebSignin().then((pending) => {
    if (pending?.tabId !== tabId) return;
    chrome.storage.session.remove(WEB_SIGNIN_KEY);
    setWebSignin('cancelled', 'The sign-in tab was closed before signing in finished.');
  });
});

// ---- The extension's pages --------------------------------------------------------------

function isOwnPage(sender) {
  return sender.id === chrome.runtime.id && typeof sender.url === 'string' && sender.url.startsWith(chrome.runtime.getURL(''));
}

chrome.runtime.onConnect.addListener((port) => {
  if (port.name !== UI_PORT_NAME || !isOwnPage(port.sender)) {
    port.disconnect();
    return;
  }
  uiPorts.add(port);
  port.onDisconnect.addListener(() => uiPorts.delete(port));
  port.postMessage({ type: 'view', view });
  // Someone is looking: do not keep them waiting for the backoff.
  link.retryNow();
});

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (sender.id === chrome.runtime.id && sender.tab && !isOwnPage(sender)) {
    return onContentScriptMessage(message, sender, sendResponse);
  }
  if (!isOwnPage(sender) || typeof message !== 'object' || message === null) return false;
  if (message.type === 'retry') {
    link.retryNow();
    sendResponse({ ok: true });
    return false;
  }
  if (message.type === 'web-signin') {
    const params = typeof message.params === 'object' && message.params !== null ? message.params : {};
    beginWebSignin(params).then(
      (result) => sendResponse({ ok: true, result }),
      (error) => sendResponse({ ok: false, error: { code: error.code ?? 'failed', message: error.message, data: {} } }),
    );
    return true;
  }
  if (message.type !== 'call' || !PAGE_METHODS.has(message.method)) {
    sendResponse({ ok: false, error: { code: 'bad-request', message: 'Unknown request.' } });
    return false;
  }
  const params = typeof message.params === 'object' && message.params !== null ? message.params : {};
  // Parameters are never logged: login.password carries the password.
  link.call(message.method, params).then(
    (result) => {
      if (message.method === 'status') acceptStatus(result);
      sendResponse({ ok: true, result });
    },
    (error) => {
      const code = error instanceof RpcError ? error.code : 'failed';
      sendResponse({ ok: false, error: { code, message: error.message, data: error.data ?? {} } });
    },
  );
  return true; // the answer comes later
});

// ---- Staying connected -------------------------------------------------------------------

// An open native port keeps the service worker alive; while the port is down the worker may
// be stopped, losing the reconnect timer. The alarm wakes it to try again.
chrome.alarms.create(RECONNECT_ALARM, { periodInMinutes: 1 });
chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === RECONNECT_ALARM && view.connection.state !== 'connected') link.retryNow();
});

publish();
link.start();
