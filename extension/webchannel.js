// Content script for the account server's sign-in page (context=oauth_webchannel_v1).
// It plays Firefox's side of the page's WebChannel ("account_updates"), but only in the
// tab the service worker opened for a sign-in: everywhere else it stays silent.
//
// It never touches the page's DOM: it listens to WebChannelMessageToChrome events on
// window and answers with WebChannelMessageToContent events. Of what the page says, only
// the account's uid, email and verified flag and the one-time authorization code (with the
// state it belongs to) leave this script; the page's session token never does.
//
// A classic script (content scripts cannot be modules); the tests load it in a sandbox.

(() => {
  const CHANNEL = 'account_updates';
  const MAX_DETAIL = 64 * 1024;
  const CODE = /^[0-9a-f]{64}$/;

  if (window.top !== window) return;

  let armed = null; // {state} once the service worker says this is its sign-in tab
  let decided = false;
  let finished = false;
  let login = null; // {uid, email, verified} from fxaccounts:login
  const MAX_WAITING = 32; // the page sends a handful of messages in a whole sign-in
  const waiting = []; // messages that came before the service worker's answer

  function reply(command, messageId, data) {
    const detail = JSON.stringify({ id: CHANNEL, message: { command, messageId, data } });
    window.dispatchEvent(new CustomEvent('WebChannelMessageToContent', { detail }));
  }

  /** The page's message, or null when the event is not a well-formed one for this channel. */
  function readEvent(event) {
    let detail = event.detail;
    if (typeof detail === 'string') {
      if (detail.length > MAX_DETAIL) return null;
      try {
        detail = JSON.parse(detail);
      } catch {
        return null;
      }
    }
    if (typeof detail !== 'object' || detail === null || detail.id !== CHANNEL) return null;
    const message = detail.message;
    if (typeof message !== 'object' || message === null || typeof message.command !== 'string') return null;
    const data = typeof message.data === 'object' && message.data !== null ? message.data : {};
    return { command: message.command, messageId: message.messageId, data };
  }

  function text(value, limit = 512) {
    return typeof value === 'string' && value.length <= limit ? value : null;
  }

  function handle({ command, messageId, data }) {
    switch (command) {
      case 'fxaccounts:fxa_status':
        reply(command, messageId, {
          signedInUser: null,
          clientId: new URLSearchParams(location.search).get('client_id'),
          capabilities: {
            multiService: false,
            pairing: false,
            pairingVersion: 1,
            choose_what_to_sync: false,
            keys_optional: false,
            can_link_account_uid: true,
            engines: [],
          },
        });
        return;
      case 'fxaccounts:can_link_account':
        reply(command, messageId, { ok: true });
        return;
      case 'fxaccounts:oauth_flow_is_active':
        reply(command, messageId, { isActive: !finished });
        return;
      case 'fxaccounts:login': {
        // Keep who signed in; drop the session token and everything else.
        const uid = text(data.uid, 64);
        const email = text(data.email, 256);
        if (uid && email) login = { uid, email, verified: data.verified === true };
        reply(command, messageId, { ok: true });
        return;
      }
      case 'fxaccounts:oauth_login': {
        if (finished || data.state !== armed.state || typeof data.code !== 'string' || !CODE.test(data.code)) return;
        finished = true;
        reply(command, messageId, { ok: true });
        const answer = { type: 'web-signin-code', state: data.state, code: data.code };
        if (login) answer.login = login;
        chrome.runtime.sendMessage(answer).catch(() => {});
        return;
      }
      default:
        return; // other commands need nothing from us
    }
  }

  function onEvent(event) {
    const message = readEvent(event);
    if (!message) return;
    if (decided) {
      if (armed) handle(message);
    } else if (waiting.length < MAX_WAITING) {
      waiting.push(message);
    }
  }

  window.addEventListener('WebChannelMessageToChrome', onEvent);

  chrome.runtime
    .sendMessage({ type: 'web-signin-armed' })
    .catch(() => null)
    .then((answer) => {
      decided = true;
      if (answer && typeof answer.state === 'string') {
        armed = { state: answer.state };
        for (const message of waiting.splice(0)) handle(message);
      } else {
        waiting.length = 0;
        window.removeEventListener('WebChannelMessageToChrome', onEvent);
      }
    });
})();
