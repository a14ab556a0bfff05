import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type DebugServer, decodeProfile, summarizeProfile } from 'tiercache/diagnostics';
import { MemoryStore, memoryStores } from 'tiercache/memory';
import { flatOf, startTestServer } from './helpers.ts';

let server: DebugServer;
const stores: MemoryStore[] = [];

before(async () => {
  server = await startTestServer();
});
after(async () => {
  for (const store of stores) store.close();
  await server.close();
});

const MiB = 1024 * 1024;

// A named function, as a service's `createOwnCache` would be: the profile must show it.
function createRoomStore(rid: number): MemoryStore {
  return new MemoryStore({ name: `room-${rid}`, maxBytes: MiB, initialBytes: MiB, budget: null });
}

async function heapProfile() {
  const response = await fetch(`${server.url}/debug/pprof/heap`);
  assert.equal(response.status, 200);
  return decodeProfile(new Uint8Array(await response.arrayBuffer()));
}

test('a store-creating function holds its stores reserved bytes in /debug/pprof/heap', async () => {
  for (let rid = 0; rid < 12; rid++) stores.push(createRoomStore(rid));
  const reserved = memoryStores().reduce((sum, s) => sum + s.reservedBytes, 0);
  assert.ok(reserved >= 12 * MiB * 0.9, `the stores preallocated (${reserved} bytes)`);
  const profile = await heapProfile();
  const summary = summarizeProfile(profile);
  const flat = flatOf(summary, 'createRoomStore');
  assert.ok(flat >= 0.9 * reserved, `createRoomStore holds ${flat} of ${reserved} reserved bytes`);
  assert.equal(summary.functions[0]?.name, 'createRoomStore', 'and is the top function');

  // The synthetic samples say so in their labels, with the site relative to the working directory.
  const strings = profile.stringTable.strings;
  const labelled = profile.sample.filter((sample) =>
    sample.label.some(
      (l) =>
        strings[Number(l.key)] === 'synthetic' && strings[Number(l.str)] === 'memorystore_reserved',
    ),
  );
  assert.ok(labelled.length >= 1, 'the store samples are labelled synthetic');
  const sites = labelled.flatMap((sample) =>
    sample.label
      .filter((l) => strings[Number(l.key)] === 'store_site')
      .map((l) => strings[Number(l.str)] ?? ''),
  );
  const site = sites.find((s) => s.includes('createRoomStore'));
  assert.ok(site, `a sample names the site (${sites.join(', ')})`);
  assert.match(site, /\(test\/diagnostics\/heap-profile-stores\.test\.ts:\d+:\d+\)/);
  assert.ok(!site.includes(process.cwd()), 'no absolute path of this machine');
  const syntheticBytes = labelled.reduce((sum, sample) => sum + Number(sample.value[1]), 0);
  assert.equal(syntheticBytes, reserved, 'every reserved byte appears once');
});

test('closed stores leave the profile', async () => {
  for (const store of stores.splice(0)) store.close();
  const summary = summarizeProfile(await heapProfile());
  // At most a sampled options object the function allocated (the sampler's 16 KiB interval).
  assert.ok(flatOf(summary, 'createRoomStore') <= 64 * 1024);
});

test('an anonymous creating function carries its file and line in its name', async () => {
  // An arrow passed as an argument has no name of its own.
  stores.push(...[1].map(() => new MemoryStore({ name: 'anon', initialBytes: MiB, budget: null })));
  const summary = summarizeProfile(await heapProfile());
  const anonymous = summary.functions.find((f) =>
    /^\(anonymous test\/diagnostics\/heap-profile-stores\.test\.ts:\d+\)$/.test(f.name),
  );
  assert.ok(anonymous, `named with its position (${summary.functions.map((f) => f.name)})`);
  assert.ok(anonymous.flat >= MiB * 0.9);
  assert.ok(
    !summary.functions.some((f) => f.name === '(anonymous)' && f.flat >= MiB * 0.9),
    'not merged into one (anonymous) node',
  );
});
