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

test('10,000 bookmarks in 100 folders need about one wave per folder', async () => {
  const ops = [];
  for (let f = 0; f < 100; f += 1) {
    ops.push({ op: 'create', ref: `folder${f}`, parent: '2', index: f, title: `Folder ${f}` });
    for (let b = 0; b < 100; b += 1) {
      ops.push({ op: 'create', ref: `bm${f}-${b}`, parent: `folder${f}`, index: b, title: `B${b}`, url: `https://e.example/${f}/${b}` });
    }
  }
  const waves = planWaves(checkOperations(ops).operations);
  assert.ok(waves.length <= 101, `${waves.length} waves`);

  const browser = new FakeBookmarks();
  const { ids, failed } = await applyOperations(browser, ops);
  assert.deepEqual(failed, []);
  assert.equal(Object.keys(ids).length, 10_100);
  assert.equal(browser.outline('2').length, 100);
  assert.deepEqual(browser.outline('2')[42][1].slice(0, 3), ['B0', 'B1', 'B2']);
});
