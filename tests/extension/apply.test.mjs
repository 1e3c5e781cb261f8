import assert from 'node:assert/strict';
import { test } from 'node:test';

import { applyOperations } from '../../extension/lib/apply.js';
import { EchoFilter, echoKeys } from '../../extension/lib/echoes.js';
import { checkOperations, planWaves } from '../../extension/lib/operations.js';
import { FakeBookmarks } from './fake-bookmarks.mjs';

test('creates folders and bookmarks, naming folders created earlier by their ref', async () => {
  const browser = new FakeBookmarks();
  const { ids, failed } = await applyOperations(browser, [
    { op: 'create', ref: 'folderAAAAAA', parent: '1', index: 0, title: 'News' },
    { op: 'create', ref: 'bmkBBBBBBBBB', parent: 'folderAAAAAA', index: 0, title: 'BBC', url: 'https://bbc.co.uk/' },
    { op: 'create', ref: 'subCCCCCCCCC', parent: 'folderAAAAAA', index: 1, title: 'Local' },
    { op: 'create', ref: 'bmkDDDDDDDDD', parent: 'subCCCCCCCCC', index: 0, title: 'Town', url: 'https://town.example/' },
    { op: 'create', ref: 'bmkEEEEEEEEE', parent: '2', title: 'Loose', url: 'https://loose.example/' },
  ]);
  assert.deepEqual(failed, []);
  assert.deepEqual(Object.keys(ids).sort(), ['bmkBBBBBBBBB', 'bmkDDDDDDDDD', 'bmkEEEEEEEEE', 'folderAAAAAA', 'subCCCCCCCCC']);
  assert.deepEqual(browser.outline('1'), [['News', ['BBC', ['Local', ['Town']]]]]);
  assert.deepEqual(browser.outline('2'), ['Loose']);
  assert.equal(browser.nodes.get(ids.bmkDDDDDDDDD).parentId, ids.subCCCCCCCCC);
});

test('siblings created with explicit indices keep the order given', async () => {
  const browser = new FakeBookmarks();
  const ops = [{ op: 'create', ref: 'top', parent: '1', index: 0, title: 'Top' }];
  for (let i = 0; i < 50; i += 1) {
    ops.push({ op: 'create', ref: `b${i}`, parent: 'top', index: i, title: `#${i}`, url: `https://example.com/${i}` });
  }
  const { failed } = await applyOperations(browser, ops);
  assert.deepEqual(failed, []);
  assert.deepEqual(browser.outline('1')[0][1], Array.from({ length: 50 }, (_, i) => `#${i}`));
});

test('update, move and remove apply in order after the creates they depend on', async () => {
  const browser = new FakeBookmarks();
  const first = await applyOperations(browser, [
    { op: 'create', ref: 'a', parent: '1', title: 'A', url: 'https://a.example/' },
    { op: 'create', ref: 'b', parent: '1', title: 'B', url: 'https://b.example/' },
    { op: 'create', ref: 'old', parent: '2', title: 'Old folder' },
    { op: 'create', ref: 'inside', parent: 'old', title: 'Inside', url: 'https://in.example/' },
  ]);
  const { a, b, old, inside } = first.ids;
  const second = await applyOperations(browser, [
    { op: 'update', id: a, title: 'A renamed', url: 'https://a2.example/' },
    { op: 'create', ref: 'new', parent: '2', index: 0, title: 'New folder' },
    { op: 'move', id: b, parent: 'new', index: 0 },
    { op: 'move', id: inside, parent: 'new', index: 1 },
    { op: 'remove', id: old },
  ]);
  assert.deepEqual(second.failed, []);
  assert.deepEqual(browser.outline('1'), ['A renamed']);
  assert.equal(browser.nodes.get(a).url, 'https://a2.example/');
  assert.deepEqual(browser.outline('2'), [['New folder', ['B', 'Inside']]]);
  assert.equal(browser.nodes.has(old), false);
});

test('a failed operation is reported by index and the rest still apply', async () => {
  const browser = new FakeBookmarks();
  const { ids, failed } = await applyOperations(browser, [
    { op: 'create', ref: 'bad', parent: '999', title: 'Nowhere' },
    { op: 'create', ref: 'child', parent: 'bad', title: 'Orphan', url: 'https://o.example/' },
    { op: 'create', ref: 'good', parent: '1', title: 'Fine', url: 'https://fine.example/' },
    { op: 'remove', id: '1' },
    { op: 'frobnicate', id: '5' },
    { op: 'update', id: '12345', title: 'Ghost' },
  ]);
  assert.deepEqual(Object.keys(ids), ['good']);
  assert.deepEqual(
    failed.map((failure) => failure.index),
    [0, 1, 3, 4, 5],
  );
  assert.match(failed[0].message, /parent/i);
  assert.match(failed[1].message, /parent folder bad was not created/);
  assert.match(failed[2].message, /root/);
  assert.match(failed[3].message, /unknown operation/);
  assert.deepEqual(browser.outline('1'), ['Fine']);
});

test('an index the browser refuses puts the bookmark at the end instead of losing it', async () => {
  const browser = new FakeBookmarks();
  const { ids, failed } = await applyOperations(browser, [
    { op: 'create', ref: 'far', parent: '1', index: 7, title: 'Far', url: 'https://far.example/' },
  ]);
  assert.deepEqual(failed, []);
  assert.ok(ids.far);
  assert.deepEqual(browser.outline('1'), ['Far']);
});

test('a batch that is not a list is refused as a whole', async () => {
  await assert.rejects(applyOperations(new FakeBookmarks(), { op: 'create' }), /not a list/);
});

test('every write is registered as an expected echo, and only those', async () => {
  const browser = new FakeBookmarks();
  const echoes = new EchoFilter();
  const reported = [];
  browser.onEvent((type, id, info) => {
    const keys =
      type === 'created' ? [echoKeys.created(id), echoKeys.createdUnder(info.parentId, info.title)] : [echoKeys[type](id)];
    if (!echoes.consume(keys, 0)) reported.push(type);
  });
  const { ids } = await applyOperations(
    browser,
    [
      { op: 'create', ref: 'f', parent: '1', title: 'F' },
      { op: 'create', ref: 'x', parent: 'f', title: 'X', url: 'https://x.example/' },
    ],
    { echoes, now: () => 0 },
  );
  await applyOperations(
    browser,
    [
      { op: 'update', id: ids.x, title: 'X2', url: 'https://x2.example/' },
      { op: 'move', id: ids.x, parent: '2' },
      { op: 'remove', id: ids.f },
    ],
    { echoes, now: () => 0 },
  );
  assert.deepEqual(reported, []);

  // A change by the user afterwards is reported.
  await browser.create({ parentId: '1', title: 'Typed by the user', url: 'https://user.example/' });
  assert.deepEqual(reported, ['created']);
});

test('10,000 bookmarks in 100 folders, listed depth first, need one wave per tree level', async () => {
  const ops = [];
  for (let f = 0; f < 100; f += 1) {
    ops.push({ op: 'create', ref: `folder${f}`, parent: '2', index: f, title: `Folder ${f}` });
    for (let b = 0; b < 100; b += 1) {
      ops.push({ op: 'create', ref: `bm${f}-${b}`, parent: `folder${f}`, index: b, title: `B${b}`, url: `https://e.example/${f}/${b}` });
    }
  }
  assert.equal(planWaves(checkOperations(ops).operations).length, 2);

  const browser = new FakeBookmarks();
  const { ids, failed } = await applyOperations(browser, ops);
  assert.deepEqual(failed, []);
  assert.equal(Object.keys(ids).length, 10_100);
  assert.equal(browser.outline('2').length, 100);
  assert.deepEqual(browser.outline('2')[42][1].slice(0, 3), ['B0', 'B1', 'B2']);
});

/** A small deterministic random number generator (mulberry32). */
function randomSource(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Two identical browsers holding a few folders and bookmarks. */
async function twins() {
  const browsers = [new FakeBookmarks(), new FakeBookmarks()];
  for (const browser of browsers) {
    for (const parentId of ['1', '2']) {
      const folder = await browser.create({ parentId, title: `Folder in ${parentId}` });
      for (let i = 0; i < 3; i += 1) await browser.create({ parentId: folder.id, title: `Old ${i}`, url: `https://old.example/${i}` });
      await browser.create({ parentId, title: `Loose in ${parentId}`, url: 'https://loose.example/' });
    }
  }
  return browsers;
}

test('applying in waves ends exactly where applying one by one ends (random batches)', async () => {
  for (let seed = 1; seed <= 40; seed += 1) {
    const random = randomSource(seed);
    const pick = (list) => list[Math.floor(random() * list.length)];
    const [oneByOne, inWaves] = await twins();
    const ops = [];
    const refs = new Map(); // ref → id in oneByOne
    const folders = () => [...oneByOne.nodes.values()].filter((n) => n.children && n.id !== '0');
    const movable = () => [...oneByOne.nodes.values()].filter((n) => !oneByOne.isPermanent(n.id) && ![...refs.values()].includes(n.id));

    for (let step = 0; step < 60; step += 1) {
      const roll = random();
      if (roll < 0.7 || movable().length === 0) {
        const parent = pick(folders());
        const parentRef = [...refs].find(([, id]) => id === parent.id)?.[0];
        const index = Math.floor(random() * (parent.children.length + 1));
        const isFolder = random() < 0.3;
        const ref = `r${step}`;
        const op = { op: 'create', ref, parent: parentRef ?? parent.id, index, title: `N${step}` };
        if (!isFolder) op.url = `https://new.example/${step}`;
        ops.push(op);
        const made = await oneByOne.create({ parentId: parent.id, index, title: op.title, url: op.url });
        refs.set(ref, made.id);
      } else if (roll < 0.85) {
        const node = pick(movable());
        const target = pick(folders().filter((f) => f.id !== node.id && !isInside(oneByOne, f.id, node.id)));
        if (!target) continue;
        const targetRef = [...refs].find(([, id]) => id === target.id)?.[0];
        const siblings = target.children.filter((c) => c.id !== node.id).length;
        const index = Math.floor(random() * (siblings + 1));
        ops.push({ op: 'move', id: node.id, parent: targetRef ?? target.id, index });
        await oneByOne.move(node.id, { parentId: target.id, index });
      } else if (roll < 0.93) {
        const node = pick(movable());
        ops.push({ op: 'update', id: node.id, title: `Renamed ${step}` });
        await oneByOne.update(node.id, { title: `Renamed ${step}` });
      } else {
        const node = pick(movable());
        ops.push({ op: 'remove', id: node.id });
        await oneByOne.removeTree(node.id);
      }
    }

    const { failed } = await applyOperations(inWaves, ops);
    assert.deepEqual(failed, [], `seed ${seed}`);
    assert.deepEqual(inWaves.outline('0'), oneByOne.outline('0'), `seed ${seed}`);
  }
});

function isInside(browser, id, ancestorId) {
  for (let node = browser.nodes.get(id); node; node = browser.nodes.get(node.parentId)) {
    if (node.id === ancestorId) return true;
  }
  return false;
}
