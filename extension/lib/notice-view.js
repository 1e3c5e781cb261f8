// The connection notice at the top of the sign-in and options pages: the steadied
// explanation (steady-notice.js), coloured by its tone, announced only when it is an error.

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
  const update = (view) => {
    clearTimeout(timer);
    const { problem, recheckIn } = steady.pick(view, Date.now());
    if (recheckIn !== null) timer = setTimeout(() => update(view), recheckIn);
    const shown = view.connection.state === 'connected' ? null : problem;
    element.hidden = shown === null;
    if (shown === null) return;
    element.className = `notice ${shown.tone}`;
    element.setAttribute('role', shown.tone === 'error' ? 'alert' : 'status');
    const title = document.createElement('strong');
    title.className = 'notice-title';
    title.textContent = shown.title;
    element.replaceChildren(title, shown.text);
  };
  return update;
}
