// The toolbar popup: account, sync state, the two everyday actions, and the problem in
// plain words when there is one.

import { call, retryConnection, watchView } from './lib/client.js';
import { SteadyNotice } from './lib/steady-notice.js';
import { progressFraction, stateHeadline, timeAgo } from './lib/status.js';

const $ = (id) => document.getElementById(id);

const MOZILLA_ACCOUNTS_HOST = 'accounts.firefox.com';

let currentView = null;
let currentAction = null;
const steadyNotice = new SteadyNotice();
let recheckTimer = null;

function render(view) {
  currentView = view;
  const { connection, status } = view;
  const connected = connection.state === 'connected';
  const signedIn = connected && status?.signed_in && status.state !== 'signed-out';

  $('account').textContent = signedIn && status.email ? accountLine(status) : 'Firefox bookmarks for this browser';
  $('account').title = signedIn && status.server ? status.server : '';

  $('sync-card').hidden = !signedIn;
  if (signedIn) renderSyncCard(status);
  clearTimeout(recheckTimer);
  const { problem, recheckIn } = steadyNotice.pick(view, Date.now());
  if (recheckIn !== null) recheckTimer = setTimeout(() => render(view), recheckIn);
  renderProblem(problem, connection);
}

/** The account's email, and the server's host when it is not Mozilla's. */
function accountLine(status) {
  let host = '';
  try {
    host = status.server ? new URL(status.server).host : '';
  } catch {
    host = status.server;
  }
  return host && host !== MOZILLA_ACCOUNTS_HOST ? `${status.email} · ${host}` : status.email;
}

function renderSyncCard(status) {
  $('state-headline').textContent = headline(status);
  $('state-dot').className = `dot ${dotTone(status)}`;

  const last = status.last_sync;
  if (status.state === 'syncing') {
    $('last-sync').textContent = last ? `Last synced ${timeAgo(last.at, Date.now())}` : 'First sync of this browser';
  } else if (last) {
    const when = timeAgo(last.at, Date.now());
    const outcome = last.ok ? `Last synced ${when}` : `Last sync failed ${when}`;
    $('last-sync').textContent = last.summary ? `${outcome} · ${last.summary}` : outcome;
  } else {
    $('last-sync').textContent = 'Not synced yet';
  }

  const fraction = status.state === 'syncing' ? progressFraction(status.progress) : null;
  $('progress').hidden = status.state !== 'syncing';
  if (fraction === null) $('progress').removeAttribute('value');
  else $('progress').value = fraction;

  $('sync-now').disabled = ['syncing', 'brake', 'backoff'].includes(status.state) || status.paused;
  $('pause-toggle').textContent = status.paused ? 'Resume' : 'Pause';
}

/** The state in a few words; an idle account that never synced is not "up to date" yet. */
function headline(status) {
  if (status.state === 'idle' && !status.paused && !status.last_sync) return 'Ready for the first sync';
  return stateHeadline(status);
}

function dotTone(status) {
  if (status.paused) return 'warning';
  switch (status.state) {
    case 'syncing':
      return 'busy';
    case 'error':
      return 'error';
    case 'brake':
    case 'backoff':
      return 'warning';
    default:
      if (!status.last_sync) return '';
      return status.last_sync.ok === false ? 'error' : 'ok';
  }
}

function renderProblem(problem, connection) {
  $('problem').hidden = problem === null;
  if (problem === null) return;
  $('problem').className = `notice problem ${problem.tone}`;
  $('problem-title').textContent = problem.title;
  $('problem-text').textContent = problem.text;

  const commands = $('problem-commands');
  commands.replaceChildren(
    ...(problem.commands ?? []).map(({ label, command }) => {
      const block = document.createElement('div');
      const caption = document.createElement('div');
      caption.className = 'command-label';
      caption.textContent = label;
      const pre = document.createElement('pre');
      pre.className = 'command';
      pre.textContent = command;
      block.append(caption, pre);
      return block;
    }),
  );

  $('brake-preview-box').hidden = !problem.preview;
  $('brake-preview').replaceChildren(
    ...(problem.preview ?? []).map((line) => {
      const item = document.createElement('li');
      item.textContent = line;
      return item;
    }),
  );

  currentAction = problem.action ?? null;
  // The sync card's own "Sync now" already offers a retry of a failed sync.
  const duplicate = currentAction === 'sync-now' && !$('sync-card').hidden;
  $('problem-action').hidden = currentAction === null || duplicate;
  $('problem-action').textContent = problem.actionLabel ?? '';
  $('problem-action').className = currentAction === 'confirm-brake' ? 'danger' : 'primary';

  renderRetryNote(connection);
}

function renderRetryNote(connection) {
  const retryAt = connection.retryAt;
  const showRetry = currentAction === 'retry' && typeof retryAt === 'number';
  $('retry-note').hidden = !showRetry;
  if (showRetry) {
    const seconds = Math.max(0, Math.round((retryAt - Date.now()) / 1000));
    $('retry-note').textContent = seconds > 0 ? `Next try in ${seconds} s` : 'Trying…';
  }
}

/** Keep "5 minutes ago" and the retry countdown true, without rebuilding the lists. */
function renderClock() {
  if (!currentView) return;
  const { connection, status } = currentView;
  if (!$('sync-card').hidden && status) renderSyncCard(status);
  renderRetryNote(connection);
}

/** Run a button's action, keeping the button disabled meanwhile and showing any failure. */
async function act(button, work) {
  $('action-error').hidden = true;
  button.disabled = true;
  try {
    await work();
  } catch (error) {
    $('action-error').textContent = error.message;
    $('action-error').hidden = false;
  } finally {
    button.disabled = false;
    if (currentView) render(currentView);
  }
}

async function refreshStatus() {
  // The service worker publishes the answer to every open page.
  await call('status');
}

$('sync-now').addEventListener('click', (event) => act(event.currentTarget, () => call('sync.now')));

$('pause-toggle').addEventListener('click', (event) =>
  act(event.currentTarget, async () => {
    await call(currentView?.status?.paused ? 'sync.resume' : 'sync.pause');
    await refreshStatus();
  }),
);

$('problem-action').addEventListener('click', (event) =>
  act(event.currentTarget, async () => {
    switch (currentAction) {
      case 'retry':
        await retryConnection();
        break;
      case 'sign-in':
        await chrome.tabs.create({ url: chrome.runtime.getURL('signin.html') });
        window.close();
        break;
      case 'confirm-brake':
        await call('sync.confirm');
        await refreshStatus();
        break;
      case 'sync-now':
        await call('sync.now');
        break;
      default:
        break;
    }
  }),
);

$('open-options').addEventListener('click', () => {
  chrome.runtime.openOptionsPage();
  window.close();
});

watchView(render);
setInterval(renderClock, 1000);
