// The connection notice at the top of the sign-in and options pages: the steadied
// explanation (steady-notice.js), coloured by its tone, announced only when it is an error,
// with the commands that fix it and its "Check again" button.

import { retryConnection } from './client.js';
import { SteadyNotice } from './steady-notice.js';

/**
 * A function to call with every view; it keeps `element` showing the connection problem,
 * if any, and hides it once connected.
 *
 * @param {HTMLElement} element
 */
export function connectionNotice(element) {
  const steady = new SteadyNotice();
  let timer = null;
  let shownKey = '';
  const update = (view) => {
    clearTimeout(timer);
    const { problem, recheckIn } = steady.pick(view, Date.now());
    if (recheckIn !== null) timer = setTimeout(() => update(view), recheckIn);
    const shown = view.connection.state === 'connected' ? null : problem;
    element.hidden = shown === null;
    if (shown === null) {
      shownKey = '';
      return;
    }
    // Rebuilt only when it changes, so a focused button keeps its focus.
    const key = JSON.stringify([shown.tone, shown.title, shown.text, shown.commands, shown.action]);
    if (key === shownKey) return;
    shownKey = key;
    element.className = `notice connection-notice ${shown.tone}`;
    element.setAttribute('role', shown.tone === 'error' ? 'alert' : 'status');
    element.replaceChildren(...noticeParts(shown));
  };
  return update;
}

function noticeParts(shown) {
  const title = document.createElement('strong');
  title.className = 'notice-title';
  title.textContent = shown.title;
  const text = document.createElement('p');
  text.textContent = shown.text;
  const parts = [title, text];
  for (const { label, command } of shown.commands ?? []) {
    const caption = document.createElement('div');
    caption.className = 'command-label';
    caption.textContent = label;
    const pre = document.createElement('pre');
    pre.className = 'command';
    pre.textContent = command;
    parts.push(caption, pre);
  }
  if (shown.action === 'retry') {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = shown.actionLabel ?? 'Check again';
    button.addEventListener('click', () => retryConnection());
    const actions = document.createElement('div');
    actions.className = 'actions notice-actions';
    actions.append(button);
    parts.push(actions);
  }
  return parts;
}
