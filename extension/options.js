// The options page: how often to sync, where Firefox's Bookmarks Menu goes, pausing,
// snapshots with restore, and signing out.

import { call, watchView } from './lib/client.js';
import { connectionNotice } from './lib/notice-view.js';
import { isPlainObject } from './lib/protocol.js';

const $ = (id) => document.getElementById(id);

let loadedForConnection = false;
let chosenSnapshot = null;
const showConnection = connectionNotice($('options-banner'));

// ---- Account and connection ----------------------------------------------------------------

watchView((view) => {
  const connected = view.connection.state === 'connected';
  showConnection(view);
  for (const control of document.querySelectorAll('main section select, main section input, main section button')) {
    control.disabled = !connected;
  }

  const status = view.status;
  const signedIn = connected && status?.signed_in === true;
  $('account-email').textContent = accountText(connected, signedIn, status);
  $('account-email').classList.toggle('muted', !connected);
  $('account-server').textContent = signedIn && status.server ? `Server: ${status.server}` : '';
  $('sign-out').hidden = !signedIn;
  $('sign-in').hidden = !connected || signedIn;
  if (status) $('paused').checked = status.paused;

  if (connected && !loadedForConnection) {
    loadedForConnection = true;
    loadSettings();
    loadSnapshots();
  }
  if (!connected) loadedForConnection = false;
});

/** Who is signed in; unknown (not "not signed in") while the daemon cannot be asked. */
function accountText(connected, signedIn, status) {
  if (!connected) return 'Waiting for foxbridge…';
  return signedIn ? (status.email ?? 'Signed in') : 'Not signed in';
}

$('sign-in').addEventListener('click', () => chrome.tabs.create({ url: chrome.runtime.getURL('signin.html') }));

$('sign-out').addEventListener('click', () => $('signout-dialog').showModal());
$('signout-cancel').addEventListener('click', () => $('signout-dialog').close());
$('signout-confirm').addEventListener('click', async () => {
  $('signout-dialog').close();
  await report(async () => {
    await call('logout');
    await call('status');
  }, 'Signed out.');
});

// ---- Settings ---------------------------------------------------------------------------------

async function loadSettings() {
  let settings;
  try {
    settings = await call('settings.get');
  } catch (error) {
    saved(error.message, true);
    return;
  }
  if (!isPlainObject(settings)) return;
  if (Number.isInteger(settings.sync_interval)) showInterval(settings.sync_interval);
  const placement = document.querySelector(`input[name="menu-placement"][value="${CSS.escape(String(settings.menu_placement))}"]`);
  if (placement) placement.checked = true;
  if (typeof settings.paused === 'boolean') $('paused').checked = settings.paused;
}

function showInterval(seconds) {
  const select = $('sync-interval');
  if (![...select.options].some((option) => Number(option.value) === seconds)) {
    const option = new Option(`Every ${seconds} seconds`, String(seconds));
    select.add(option);
  }
  select.value = String(seconds);
}

$('sync-interval').addEventListener('change', (event) =>
  report(() => call('settings.set', { sync_interval: Number(event.target.value) }), 'Saved.'),
);

for (const radio of document.querySelectorAll('input[name="menu-placement"]')) {
  radio.addEventListener('change', (event) =>
    report(() => call('settings.set', { menu_placement: event.target.value }), 'Saved. The next sync moves the folder.'),
  );
}

$('paused').addEventListener('change', (event) =>
  report(async () => {
    await call(event.target.checked ? 'sync.pause' : 'sync.resume');
    await call('status');
  }, event.target.checked ? 'Sync paused.' : 'Sync resumed.'),
);

/** Run a change and say how it went in the status line under the sync settings. */
async function report(work, success) {
  try {
    await work();
    saved(success, false);
  } catch (error) {
    saved(error.message, true);
  }
}

function saved(message, isError) {
  $('settings-saved').textContent = message;
  $('settings-saved').className = isError ? 'error-text small' : 'saved';
}

// ---- Snapshots --------------------------------------------------------------------------------

function isSnapshot(entry) {
  return (
    isPlainObject(entry) &&
    typeof entry.id === 'string' &&
    Number.isFinite(entry.created) &&
    Number.isInteger(entry.local_count) &&
    Number.isInteger(entry.remote_count)
  );
}

/** Snapshot times are milliseconds; a value that only makes sense as seconds is read as such. */
function snapshotDate(created) {
  return new Date(created < 1e11 ? created * 1000 : created);
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

async function loadSnapshots() {
  let list;
  try {
    list = await call('snapshots.list');
  } catch (error) {
    $('snapshots-empty').textContent = `Could not list the snapshots: ${error.message}`;
    return;
  }
  const snapshots = Array.isArray(list) ? list.filter(isSnapshot) : [];
  $('snapshot-table').hidden = snapshots.length === 0;
  $('snapshots-empty').hidden = snapshots.length > 0;
  $('snapshots-empty').textContent = 'No snapshots yet. foxbridge saves the first one before a sync that changes your bookmarks.';
  $('snapshot-list').replaceChildren(...snapshots.map(snapshotRow));
}

function snapshotRow(snapshot) {
  const row = document.createElement('tr');
  // The label names the column where the table is too narrow for its header (page.css).
  const cell = (text, className = '', label = '') => {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    if (label) td.dataset.label = label;
    row.append(td);
    return td;
  };
  cell(dateFormat.format(snapshotDate(snapshot.created)), 'taken');
  cell(typeof snapshot.reason === 'string' ? capitalized(snapshot.reason) : '', 'reason');
  cell(snapshot.local_count.toLocaleString(), 'number', 'This browser');
  cell(snapshot.remote_count.toLocaleString(), 'number', 'Account');
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = 'Restore…';
  button.dataset.snapshotId = snapshot.id;
  button.addEventListener('click', () => askRestore(snapshot));
  cell('', 'action').append(button);
  return row;
}

/** "before sync" → "Before sync": the reasons are written for the middle of a sentence. */
function capitalized(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function askRestore(snapshot) {
  chosenSnapshot = snapshot;
  const when = dateFormat.format(snapshotDate(snapshot.created));
  $('restore-text').textContent =
    `The bookmarks saved on ${when} replace the current ones in this browser ` +
    `(${snapshot.local_count.toLocaleString()}) and in your account (${snapshot.remote_count.toLocaleString()}). ` +
    'Your other devices pick up the change at their next sync.';
  $('restore-dialog').showModal();
}

$('restore-cancel').addEventListener('click', () => $('restore-dialog').close());
$('restore-confirm').addEventListener('click', async () => {
  $('restore-dialog').close();
  if (!chosenSnapshot) return;
  const { id } = chosenSnapshot;
  chosenSnapshot = null;
  $('snapshot-status').className = 'saved';
  $('snapshot-status').textContent = 'Restoring…';
  try {
    await call('snapshots.restore', { id });
    $('snapshot-status').textContent = 'Snapshot restored.';
    await loadSnapshots();
  } catch (error) {
    $('snapshot-status').className = 'error-text small';
    $('snapshot-status').textContent =
      error.code === 'not-available'
        ? 'This version of foxbridge restores snapshots from the command line: run “foxbridge restore”.'
        : `The snapshot was not restored: ${error.message}`;
  }
});
