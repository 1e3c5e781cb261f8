// Recognising the bookmark events caused by the extension's own writes, so they are not
// reported back to the daemon as local changes. Pure: time is passed in.
//
// Before each write the applier says which event it expects; the event listener asks
// whether an event was expected and, if so, it is consumed. Expectations left over
// (the browser sends no event for a write that changes nothing) expire shortly after the
// batch ends.

export const ECHO_GRACE_MS = 2000;

export const echoKeys = {
  /** A create, known before the browser assigns an id: by parent and title. */
  createdUnder: (parentId, title) => `created|${parentId}|${title}`,
  /** A create once its new id is known (the event may come after the answer). */
  created: (id) => `created|${id}`,
  changed: (id) => `changed|${id}`,
  moved: (id) => `moved|${id}`,
  removed: (id) => `removed|${id}`,
};

export class EchoFilter {
  /** @type {Map<string, {count: number, expires: number}>} */
  #expected = new Map();

  /** Expect one event with this key; it stays expected until `settle` gives it a deadline. */
  expect(key) {
    const entry = this.#expected.get(key);
    if (entry) {
      entry.count += 1;
      entry.expires = Infinity;
    } else {
      this.#expected.set(key, { count: 1, expires: Infinity });
    }
  }

  /** The write failed: its event will not come. */
  cancel(key) {
    const entry = this.#expected.get(key);
    if (!entry) return;
    entry.count -= 1;
    if (entry.count <= 0) this.#expected.delete(key);
  }

  /** The batch is done: whatever is still expected must arrive within the grace period. */
  settle(now, graceMs = ECHO_GRACE_MS) {
    for (const entry of this.#expected.values()) {
      if (entry.expires === Infinity) entry.expires = now + graceMs;
    }
  }

  /**
   * Whether one of `keys` was expected; consumes the first that was.
   *
   * @param {string[]} keys
   * @param {number} now
   */
  consume(keys, now) {
    this.#dropExpired(now);
    for (const key of keys) {
      const entry = this.#expected.get(key);
      if (!entry) continue;
      entry.count -= 1;
      if (entry.count <= 0) this.#expected.delete(key);
      return true;
    }
    return false;
  }

  get size() {
    return this.#expected.size;
  }

  #dropExpired(now) {
    for (const [key, entry] of this.#expected) {
      if (entry.expires < now) this.#expected.delete(key);
    }
  }
}
