// Batching the browser's bookmark events into `bookmarks.changed` notifications.
// Timers and the clock are passed in, so the batching rules are testable without waiting.

export const CHANGE_TYPES = new Set(['created', 'changed', 'moved', 'removed', 'reordered', 'import-begin', 'import-end']);

export const QUIET_MS = 300; // send once the browser has been quiet this long…
export const MAX_WAIT_MS = 2000; // …but never hold an event longer than this
export const MAX_BATCH = 1000; // events in one notification

/**
 * Collects change events and sends them in batches through `send(events)`.
 *
 * While a bookmarks import runs, the browser fires one event per imported bookmark; those
 * are not reported one by one: `import-end` tells the daemon to read the whole tree.
 */
export class ChangeBatcher {
  #send;
  #timers;
  #now;
  #events = [];
  #quietTimer = null;
  #firstAt = null;
  #importing = false;

  /**
   * @param {{send: (events: {type: string, id?: string, at: number}[]) => void,
   *   now?: () => number,
   *   timers?: {set: (fn: () => void, ms: number) => unknown, clear: (handle: unknown) => void}}} options
   */
  constructor({ send, now = () => Date.now(), timers = { set: (fn, ms) => setTimeout(fn, ms), clear: (handle) => clearTimeout(handle) } }) {
    this.#send = send;
    this.#now = now;
    this.#timers = timers;
  }

  /**
   * @param {string} type one of CHANGE_TYPES
   * @param {string} [id] the browser id of the node (none for import events)
   */
  add(type, id) {
    if (!CHANGE_TYPES.has(type)) throw new TypeError(`unknown change type ${type}`);
    const at = this.#now();
    if (type === 'import-begin') {
      this.flush();
      this.#importing = true;
      this.#send([{ type, at }]);
      return;
    }
    if (type === 'import-end') {
      this.#importing = false;
      this.#events = [];
      this.#cancelTimer();
      this.#send([{ type, at }]);
      return;
    }
    if (this.#importing) return;
    this.#events.push({ type, id, at });
    if (this.#firstAt === null) this.#firstAt = at;
    if (this.#events.length >= MAX_BATCH || at - this.#firstAt >= MAX_WAIT_MS) {
      this.flush();
      return;
    }
    this.#cancelTimer();
    const wait = Math.min(QUIET_MS, this.#firstAt + MAX_WAIT_MS - at);
    this.#quietTimer = this.#timers.set(() => this.flush(), wait);
  }

  /** Send what is waiting now. */
  flush() {
    this.#cancelTimer();
    this.#firstAt = null;
    if (this.#events.length === 0) return;
    const events = this.#events;
    this.#events = [];
    this.#send(events);
  }

  /** Forget what is waiting (the link is down: the daemon reads the whole tree on `hello`). */
  discard() {
    this.#cancelTimer();
    this.#firstAt = null;
    this.#events = [];
  }

  get pending() {
    return this.#events.length;
  }

  #cancelTimer() {
    if (this.#quietTimer !== null) {
      this.#timers.clear(this.#quietTimer);
      this.#quietTimer = null;
    }
  }
}
