// Putting back together daemon messages that the host cut into `{"chunk": …}` frames to
// fit the browser's 1 MiB limit (docs/ipc.md, "Host duties"). Pure.

import { isPlainObject } from './protocol.js';

export const MAX_CHUNKS = 1024; // 1 GiB of chunks: far beyond any real bookmark tree
export const MAX_OPEN_MESSAGES = 8; // messages being assembled at once

/**
 * Collects chunks by message id; `add` returns the whole message once its last chunk is in.
 * A bad chunk throws a ChunkError and drops that message's partial text, so one broken
 * message never poisons the next.
 */
export class ChunkAssembler {
  /** @type {Map<string, {count: number, parts: (string | undefined)[], received: number}>} */
  #open = new Map();

  /**
   * @param {unknown} chunk the value of the `chunk` key
   * @returns {{complete: false} | {complete: true, message: unknown}}
   */
  add(chunk) {
    if (!isPlainObject(chunk)) throw new ChunkError('the chunk is not an object');
    const { id, index, count, data } = chunk;
    if (typeof id !== 'string' || id === '') throw new ChunkError('the chunk has no message id');
    if (!Number.isInteger(count) || count < 1 || count > MAX_CHUNKS) {
      this.#open.delete(id);
      throw new ChunkError(`chunk count ${JSON.stringify(count)} is out of range`, id);
    }
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      this.#open.delete(id);
      throw new ChunkError(`chunk index ${JSON.stringify(index)} is out of range`, id);
    }
    if (typeof data !== 'string') {
      this.#open.delete(id);
      throw new ChunkError('the chunk data is not text', id);
    }

    let entry = this.#open.get(id);
    if (entry && entry.count !== count) {
      this.#open.delete(id);
      throw new ChunkError('the chunks of one message disagree on their count', id);
    }
    if (!entry) {
      this.#evictOldestIfFull();
      entry = { count, parts: new Array(count), received: 0 };
      this.#open.set(id, entry);
    }
    if (entry.parts[index] !== undefined) {
      this.#open.delete(id);
      throw new ChunkError(`chunk ${index} arrived twice`, id);
    }
    entry.parts[index] = data;
    entry.received += 1;
    if (entry.received < count) return { complete: false };

    this.#open.delete(id);
    let message;
    try {
      message = JSON.parse(entry.parts.join(''));
    } catch {
      throw new ChunkError('the reassembled message is not JSON', id);
    }
    return { complete: true, message };
  }

  /** Forget every partial message (the port closed: their remaining chunks will never come). */
  clear() {
    this.#open.clear();
  }

  get openCount() {
    return this.#open.size;
  }

  #evictOldestIfFull() {
    if (this.#open.size < MAX_OPEN_MESSAGES) return;
    const oldest = this.#open.keys().next().value;
    this.#open.delete(oldest);
  }
}

export class ChunkError extends Error {
  /**
   * @param {string} message
   * @param {string} [messageId] the id of the message the chunk belonged to
   */
  constructor(message, messageId) {
    super(message);
    this.name = 'ChunkError';
    this.messageId = messageId;
  }
}
