// The sign-in page: choose the server, then sign in through the account's own web page, or
// with email and password (and the confirmation code the server may ask for).
// The password goes to the daemon once, in `login.password`, and is kept nowhere here.

import { beginWebSignin, call, watchView } from './lib/client.js';
import { connectionNotice } from './lib/notice-view.js';
import { checkServerUrl } from './lib/urls.js';
import { contentScriptFor, isCoveredOrigin } from './lib/web-signin.js';

const $ = (id) => document.getElementById(id);
const STEPS = ['signin-start', 'web-waiting', 'code-step', 'signin-done'];

const CODE_PROMPTS = {
  email: {
    title: 'Check your email',
    prompt: (email) => `Enter the confirmation code your account sent to ${email}.`,
  },
  totp: {
    title: 'Enter your authentication code',
    prompt: () => 'Open your authenticator app and enter the 6-digit code for your Mozilla account.',
  },
  unblock: {
    title: 'Confirm this sign-in',
    prompt: (email) => `For your security, your account sent an unblock code to ${email}. Enter it here.`,
  },
};

let step = 'signin-start';
let pendingEmail = '';

function show(next) {
  step = next;
  for (const id of STEPS) $(id).hidden = id !== next;
  hideError();
}

function showError(message) {
  $('signin-error').textContent = message;
  $('signin-error').hidden = false;
  $('signin-error').scrollIntoView({ block: 'nearest', behavior: 'smooth' });
}

function hideError() {
  $('signin-error').hidden = true;
}

// ---- Server choice ------------------------------------------------------------------------

function serverKind() {
  return document.querySelector('input[name="server-kind"]:checked').value;
}

function syncServerFields() {
  const kind = serverKind();
  $('custom-server-field').hidden = kind !== 'custom';
  $('token-server-field').hidden = kind !== 'token';
  $('server-error').hidden = true;
}

/** The server parameters of the login methods, or null (with the reason shown) when invalid. */
function serverParams() {
  const kind = serverKind();
  if (kind === 'mozilla') return {};
  const input = kind === 'custom' ? $('custom-server-url') : $('token-server-url');
  const checked = checkServerUrl(input.value);
  if (!checked.ok) {
    $('server-error').textContent = checked.message;
    $('server-error').hidden = false;
    input.focus();
    return null;
  }
  return kind === 'custom' ? { server: checked.url } : { token_server: checked.url };
}

for (const radio of document.querySelectorAll('input[name="server-kind"]')) {
  radio.addEventListener('change', syncServerFields);
}

// ---- Sign-in paths --------------------------------------------------------------------------

/** Run a form's work with its buttons disabled, showing any failure in plain words. */
async function busy(buttons, work) {
  hideError();
  for (const button of buttons) button.disabled = true;
  try {
    await work();
  } catch (error) {
    showError(error.message || 'Signing in failed.');
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

$('web-signin').addEventListener('click', () => {
  const params = serverParams();
  if (params === null) return;
  // Mozilla's page with your own sync storage: the page signs you in, the token server
  // chosen here keeps the data.
  const webParams = params.server ? { server: params.server } : {};
  if (params.token_server) webParams.token_server = params.token_server;
  // A self-hosted server's page needs the user's leave for the extension to answer it; the
  // browser asks only during the click, so before anything else.
  const script = params.server ? contentScriptFor(new URL(params.server).origin) : null;
  const allowed = script && !isCoveredOrigin(new URL(params.server).origin) ? chrome.permissions.request({ origins: script.matches }) : Promise.resolve(true);
  busy([$('web-signin')], async () => {
    if (!(await allowed.catch(() => false))) {
      $('other-ways').open = true;
      throw new Error('foxbridge needs your permission to answer that server’s sign-in page. You can use “Other ways to sign in” below.');
    }
    try {
      await beginWebSignin(webParams);
    } catch (error) {
      if (error.code === 'not-connected') throw error;
      $('other-ways').open = true;
      throw new Error(/other ways/i.test(error.message) ? error.message : `${error.message} You can use “Other ways to sign in” below.`);
    }
    show('web-waiting');
  });
});

$('web-cancel').addEventListener('click', () => show('signin-start'));

$('password-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const email = $('email').value.trim();
  const password = $('password').value;
  if (!email || !password) {
    showError('Enter your email and password.');
    ($('email').value ? $('password') : $('email')).focus();
    return;
  }
  const params = serverParams();
  if (params === null) return;
  $('password').value = ''; // the only copy left is the one on its way to the daemon
  pendingEmail = email;
  busy([$('password-signin')], async () => handleLoginResult(await call('login.password', { email, password, ...params })));
});

$('code-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const code = $('code').value.trim();
  if (!code) {
    showError('Enter the code.');
    $('code').focus();
    return;
  }
  busy([$('code-submit')], async () => {
    const result = await call('login.code', { code });
    $('code').value = '';
    handleLoginResult(result);
  });
});

$('code-back').addEventListener('click', () => show('signin-start'));

function handleLoginResult(result) {
  if (result?.state === 'signed-in') {
    showDone(pendingEmail);
    return;
  }
  if (result?.state === 'code-required') {
    const kind = CODE_PROMPTS[result.kind] ? result.kind : 'email';
    $('code-title').textContent = CODE_PROMPTS[kind].title;
    $('code-prompt').textContent = CODE_PROMPTS[kind].prompt(pendingEmail || 'your address');
    show('code-step');
    $('code').focus();
    return;
  }
  throw new Error('foxbridge answered in a way this page does not understand.');
}

function showDone(email, { already = false } = {}) {
  $('signed-in-as').textContent = email ? ` as ${email}` : '';
  $('signed-in-note').textContent = already
    ? 'This browser already syncs with this account. To use another one, sign out in foxbridge’s settings first.'
    : 'foxbridge is syncing this browser’s bookmarks now. You can follow it from the toolbar button.';
  show('signin-done');
}

$('close-tab').addEventListener('click', async () => {
  const tab = await chrome.tabs.getCurrent();
  if (tab?.id !== undefined) chrome.tabs.remove(tab.id);
  else window.close();
});

// ---- Connection and account state ---------------------------------------------------------

const showConnection = connectionNotice($('connection-notice'));

watchView((view) => {
  const connected = view.connection.state === 'connected';
  showConnection(view);
  for (const id of ['web-signin', 'password-signin', 'code-submit']) $(id).disabled = !connected;

  // The account's page could not finish, or its tab was closed.
  if (step === 'web-waiting' && (view.webSignin?.state === 'failed' || view.webSignin?.state === 'cancelled')) {
    show('signin-start');
    showError(view.webSignin.message ?? 'Signing in did not finish.');
  }

  // Signed in already when the page opened, or meanwhile through the account's web page.
  if (connected && view.status?.signed_in && step !== 'signin-done') {
    showDone(view.status.email ?? pendingEmail, { already: step === 'signin-start' && !pendingEmail });
  }
});

syncServerFields();
