// Which connection notice a page shows, steadied over time. The service worker reconnects
// with backoff, so while the daemon is down its state swings between `connecting` and the
// failure; shown as they come, the pages would flicker between a calm "Connecting…" and a
// red error. Here a failure is shown only once it has lasted a few seconds, and once shown
// it stays through the retries until the connection succeeds or fails differently. Pure:
// the caller passes the time and re-renders when asked to.

import { explain } from './explain.js';

/** How long the connection may fail before a page calls it an error, in milliseconds. */
export const ESCALATE_AFTER_MS = 3000;

const CONNECTING = { connection: { state: 'connecting' }, status: null };

export class SteadyNotice {
  /** When the connection was last seen failing after being fine (ms), or null. */
  #troubleSince = null;
  /** The failure being shown, kept while the worker retries. */
  #shown = null;
  #firstView = true;

  /**
   * What to show for `view` at `now`.
   *
   * @param {{connection: {state: string, message?: string}, status: object | null}} view
   * @param {number} now the time in milliseconds
   * @returns {{problem: import('./explain.js').Explanation | null, recheckIn: number | null}}
   *   the explanation to show (null: none), and when to ask again (ms) because it may change
   *   with time alone
   */
  pick(view, now) {
    const firstView = this.#firstView;
    this.#firstView = false;
    const state = view.connection.state;
    if (state === 'connected') {
      this.#troubleSince = null;
      this.#shown = null;
      return { problem: explain(view, now), recheckIn: null };
    }
    if (state === 'connecting') {
      this.#troubleSince ??= now;
      return { problem: this.#shown ?? explain(view, now), recheckIn: null };
    }
    // A failure. The worker already knew it when the page opened: it has persisted.
    if (firstView) this.#troubleSince = now - ESCALATE_AFTER_MS;
    this.#troubleSince ??= now;
    const waited = now - this.#troubleSince;
    if (this.#shown === null && waited < ESCALATE_AFTER_MS) {
      return { problem: explain(CONNECTING, now), recheckIn: ESCALATE_AFTER_MS - waited };
    }
    this.#shown = explain(view, now);
    return { problem: this.#shown, recheckIn: null };
  }
}
