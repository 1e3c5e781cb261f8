// Where the WebChannel content script runs: Mozilla's page and this computer from the
// manifest, a self-hosted server's page only once registered at run time for its origin.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { checkBegun, contentScriptFor, isCoveredOrigin } from '../../extension/lib/web-signin.js';

const STATE = 'S'.repeat(22);
const MANIFEST = JSON.parse(readFileSync(new URL('../../extension/manifest.json', import.meta.url), 'utf8'));

test('a self-hosted https origin gets a registration limited to that origin, top frame, at document start', () => {
  assert.deepEqual(contentScriptFor('https://accounts.example.org'), {
    id: 'webchannel-https___accounts_example_org',
    matches: ['https://accounts.example.org/*'],
    js: ['webchannel.js'],
    runAt: 'document_start',
    allFrames: false,
    persistAcrossSessions: true,
  });
  assert.deepEqual(contentScriptFor('https://sync.example.org:8443').matches, ['https://sync.example.org:8443/*']);
  assert.equal(contentScriptFor('http://localhost:3030').matches[0], 'http://localhost:3030/*');
});

test('no registration for plain http elsewhere, paths, or nonsense', () => {
  for (const origin of ['http://accounts.example.org', 'https://accounts.example.org/path', 'javascript:alert(1)', 'nonsense', 'file:///etc', '']) {
    assert.equal(contentScriptFor(origin), null, origin);
  }
});

test('a registered origin is covered, and only that one', () => {
  const url = `https://accounts.example.org/?context=oauth_webchannel_v1&state=${STATE}`;
  const flow = { url, origin: 'https://accounts.example.org', state: STATE };
  assert.equal(checkBegun(flow).ok, false);
  assert.equal(checkBegun(flow, ['https://accounts.example.org']).ok, true);
  assert.equal(checkBegun(flow, ['https://other.example.org']).ok, false);
  assert.equal(isCoveredOrigin('https://accounts.example.org.evil.example', ['https://accounts.example.org']), false);
});

test('the manifest lets the extension ask for a self-hosted origin and register the script', () => {
  assert.ok(MANIFEST.permissions.includes('scripting'));
  assert.deepEqual(MANIFEST.optional_host_permissions, ['https://*/*']);
  const [script] = MANIFEST.content_scripts;
  assert.ok(script.matches.includes('https://accounts.firefox.com/*'));
  assert.deepEqual(script.js, ['webchannel.js']);
  assert.equal(script.all_frames, false);
  assert.equal(script.run_at, 'document_start');
});
