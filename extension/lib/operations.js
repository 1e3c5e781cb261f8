// The `tree.apply` operations (docs/ipc.md, "Operations"): checking each one, and
// grouping them into waves that may be sent to the browser without waiting on each other.
// Pure.

import { isPlainObject } from './protocol.js';

export const MAX_OPERATIONS = 200_000;
const MAX_TITLE = 4096;
const MAX_URL = 64 * 1024;

/**
 * A checked operation. `parent` is either a browser id or the `ref` of a create earlier in
 * the same batch; `parentIsRef` says which (a ref declared earlier wins over a browser id
 * with the same spelling).
 *
 * @typedef {{op: 'create', ref: string, parent: string, parentIsRef: boolean, index?: number, title: string, url?: string}
 *   | {op: 'update', id: string, title?: string, url?: string}
 *   | {op: 'move', id: string, parent: string, parentIsRef: boolean, index?: number}
 *   | {op: 'remove', id: string}} Operation
 */

/**
 * Check a batch. The batch itself must be a list (else the whole request is refused);
 * a bad operation in it only fails that operation.
 *
 * @param {unknown} ops
 * @returns {{operations: (Operation | null)[], failed: {index: number, message: string}[]}}
 *   `operations[i]` is null where operation i failed the checks
 */
export function checkOperations(ops) {
  if (!Array.isArray(ops)) throw new TypeError('ops is not a list');
  if (ops.length > MAX_OPERATIONS) throw new TypeError(`more than ${MAX_OPERATIONS} operations in one batch`);
  const refs = new Set();
  const operations = [];
  const failed = [];
  ops.forEach((raw, index) => {
    const checked = checkOperation(raw, refs);
    if (typeof checked === 'string') {
      operations.push(null);
      failed.push({ index, message: checked });
      return;
    }
    if (checked.op === 'create') refs.add(checked.ref);
    operations.push(checked);
  });
  return { operations, failed };
}

/** @returns {Operation | string} the operation, or why it is refused */
function checkOperation(raw, refs) {
  if (!isPlainObject(raw)) return 'the operation is not an object';
  const id = (key) => (typeof raw[key] === 'string' && raw[key] !== '' ? raw[key] : null);
  const title = () => raw.title === undefined || (typeof raw.title === 'string' && raw.title.length <= MAX_TITLE);
  const url = () => raw.url === undefined || (typeof raw.url === 'string' && raw.url !== '' && raw.url.length <= MAX_URL);
  const index = () => raw.index === undefined || (Number.isInteger(raw.index) && raw.index >= 0);

  switch (raw.op) {
    case 'create': {
      const ref = id('ref');
      const parent = id('parent');
      if (!ref) return 'create needs a ref';
      if (refs.has(ref)) return `the ref ${ref} is created twice`;
      if (!parent) return 'create needs a parent';
      if (!title()) return 'the title is not text (or too long)';
      if (!url()) return 'the url is not text (or empty, or too long)';
      if (!index()) return 'the index is not a whole number from 0';
      return withOptional({ op: 'create', ref, parent, parentIsRef: refs.has(parent), title: raw.title ?? '' }, raw, ['index', 'url']);
    }
    case 'update': {
      const target = id('id');
      if (!target) return 'update needs an id';
      if (raw.title === undefined && raw.url === undefined) return 'update changes neither title nor url';
      if (!title()) return 'the title is not text (or too long)';
      if (!url()) return 'the url is not text (or empty, or too long)';
      return withOptional({ op: 'update', id: target }, raw, ['title', 'url']);
    }
    case 'move': {
      const target = id('id');
      const parent = id('parent');
      if (!target) return 'move needs an id';
      if (!parent) return 'move needs a parent';
      if (!index()) return 'the index is not a whole number from 0';
      return withOptional({ op: 'move', id: target, parent, parentIsRef: refs.has(parent) }, raw, ['index']);
    }
    case 'remove': {
      const target = id('id');
      if (!target) return 'remove needs an id';
      return { op: 'remove', id: target };
    }
    default:
      return `unknown operation ${JSON.stringify(raw.op)}`;
  }
}

function withOptional(operation, raw, keys) {
  for (const key of keys) {
    if (raw[key] !== undefined) operation[key] = raw[key];
  }
  return operation;
}

/**
 * Group operation indices into waves. The browser carries out bookmark calls in the order
 * it receives them, so all calls of a wave are sent at once, in order, and only then are
 * the answers awaited. An operation is placed in the earliest wave that keeps the result
 * the same as applying the batch one by one:
 *
 * - a create naming a folder created in this batch goes after that folder's wave;
 * - creates into one folder keep their order (an index counts the siblings before it):
 *   they all go to the wave after their folder's, or later, never earlier;
 * - creates into different folders do not affect each other, so a folder's children can
 *   share a wave with the children of its siblings (a tree needs one wave per level);
 * - an update, move or remove waits for everything before it, and nothing after it goes
 *   before it (a move changes the indices in two folders).
 *
 * @param {(Operation | null)[]} operations
 * @returns {number[][]} indices into `operations`, wave by wave
 */
export function planWaves(operations) {
  const waves = [];
  const createdIn = new Map(); // ref → the wave that creates it
  let floor = 0; // no operation may go before the wave of the latest update, move or remove

  const place = (index, wave) => {
    while (waves.length <= wave) waves.push([]);
    waves[wave].push(index);
  };
  const afterParent = (operation) =>
    operation.parentIsRef && createdIn.has(operation.parent) ? createdIn.get(operation.parent) + 1 : 0;

  operations.forEach((operation, index) => {
    if (!operation) return;
    if (operation.op === 'create') {
      const wave = Math.max(floor, afterParent(operation));
      place(index, wave);
      createdIn.set(operation.ref, wave);
      return;
    }
    const wave = Math.max(floor, waves.length - 1, operation.op === 'move' ? afterParent(operation) : 0);
    place(index, wave);
    floor = wave;
  });
  return waves;
}
