// Applying a `tree.apply` batch to the browser's bookmarks, fast and in order.
// The bookmarks API is passed in, so the same code runs against chrome.bookmarks in the
// service worker and against a model of it in the unit tests.

import { echoKeys } from './echoes.js';
import { checkOperations, planWaves } from './operations.js';

/**
 * The part of chrome.bookmarks the applier uses.
 *
 * @typedef {{
 *   create(details: {parentId: string, index?: number, title?: string, url?: string}): Promise<{id: string}>,
 *   update(id: string, changes: {title?: string, url?: string}): Promise<unknown>,
 *   move(id: string, destination: {parentId: string, index?: number}): Promise<unknown>,
 *   removeTree(id: string): Promise<unknown>,
 * }} BookmarksApi
 */

/**
 * Apply operations in the order given. Calls of one wave (see planWaves) are all sent
 * before any answer is awaited; the browser still carries them out in order.
 *
 * @param {BookmarksApi} api
 * @param {unknown} ops the `ops` parameter as received
 * @param {{echoes?: import('./echoes.js').EchoFilter, now?: () => number}} [options]
 * @returns {Promise<{ids: Record<string, string>, failed: {index: number, message: string}[]}>}
 */
export async function applyOperations(api, ops, { echoes = null, now = Date.now } = {}) {
  const { operations, failed } = checkOperations(ops);
  const ids = {};
  const expect = (key) => echoes?.expect(key);
  const cancel = (key) => echoes?.cancel(key);
  const fail = (index, error) => failed.push({ index, message: messageOf(error) });

  const resolveParent = (operation) => {
    if (!operation.parentIsRef) return operation.parent;
    return ids[operation.parent] ?? null;
  };

  // Each starter issues its browser call synchronously and returns the promise of its end.
  const starters = {
    create(operation, index) {
      const parentId = resolveParent(operation);
      if (parentId === null) return fail(index, `its parent folder ${operation.parent} was not created`);
      const details = { parentId, title: operation.title };
      if (operation.url !== undefined) details.url = operation.url;
      const key = echoKeys.createdUnder(parentId, operation.title);
      const attempt = (withIndex) => {
        expect(key);
        return api.create(withIndex ? { ...details, index: operation.index } : details).then(
          (node) => {
            ids[operation.ref] = node.id;
            expect(echoKeys.created(node.id));
          },
          (error) => {
            cancel(key);
            throw error;
          },
        );
      };
      return retryWithoutIndex(attempt, operation.index !== undefined).catch((error) => fail(index, error));
    },
    update(operation, index) {
      const key = echoKeys.changed(operation.id);
      const changes = {};
      if (operation.title !== undefined) changes.title = operation.title;
      if (operation.url !== undefined) changes.url = operation.url;
      // Chromium sets the title and the url one after the other, with an event for each.
      const events = Object.keys(changes).length;
      for (let i = 0; i < events; i += 1) expect(key);
      return api.update(operation.id, changes).catch((error) => {
        for (let i = 0; i < events; i += 1) cancel(key);
        fail(index, error);
      });
    },
    move(operation, index) {
      const parentId = resolveParent(operation);
      if (parentId === null) return fail(index, `its new parent folder ${operation.parent} was not created`);
      const key = echoKeys.moved(operation.id);
      const attempt = (withIndex) => {
        expect(key);
        const destination = withIndex ? { parentId, index: operation.index } : { parentId };
        return api.move(operation.id, destination).catch((error) => {
          cancel(key);
          throw error;
        });
      };
      return retryWithoutIndex(attempt, operation.index !== undefined).catch((error) => fail(index, error));
    },
    remove(operation, index) {
      const key = echoKeys.removed(operation.id);
      expect(key);
      // removeTree removes a bookmark as well as a folder with everything in it.
      return api.removeTree(operation.id).catch((error) => {
        cancel(key);
        fail(index, error);
      });
    },
  };

  try {
    for (const wave of planWaves(operations)) {
      const pending = wave.map((index) => starters[operations[index].op](operations[index], index));
      await Promise.all(pending);
    }
  } finally {
    echoes?.settle(now());
  }
  failed.sort((a, b) => a.index - b.index);
  return { ids, failed };
}

/**
 * Run `attempt(true)`; when it fails, run `attempt(false)` once. An index the browser
 * refuses (an earlier operation failed, or the daemon counted differently) must not cost
 * the bookmark: it is put at the end of its folder instead.
 */
function retryWithoutIndex(attempt, hasIndex) {
  if (!hasIndex) return attempt(false);
  return attempt(true).catch(() => attempt(false));
}

function messageOf(error) {
  if (typeof error === 'string') return error;
  if (error instanceof Error && error.message) return error.message;
  return 'the browser refused the change';
}
