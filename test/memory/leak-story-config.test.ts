// The story's configuration: 20 room caches, each `shards: 1024, maxEntryBytes: 16 KiB,
// maxBytes: 500 MiB`. bigcache preallocated ~500 MiB each; these must reserve almost nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from 'tiercache/memory';

const gc = globalThis.gc as () => void;
const story = { shards: 1024, maxEntryBytes: 16 * 1024, maxBytes: 500 * 1024 * 1024 };

test('20 stores with the story config reserve under 1 MiB in total', (t) => {
  gc();
  const before = process.memoryUsage();
  const stores = Array.from(
    { length: 20 },
    (_, i) => new MemoryStore({ ...story, name: `room-${i}` }),
  );
  gc();
  const after = process.memoryUsage();
  const reserved = stores.reduce((sum, store) => sum + store.reservedBytes, 0);
  t.diagnostic(
    `20 story stores: reserved ${reserved} B, heap + arrayBuffers +${after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers)} B`,
  );
  assert.ok(reserved < 1024 * 1024, `reservedBytes total ${reserved}`);
  const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
  assert.ok(grown < 1024 * 1024, `process heap + arrayBuffers grew by ${grown} bytes`);
  // And each still works, allocating only what it holds.
  for (const [i, store] of stores.entries()) store.set(`room:${i}`, 'x'.repeat(1000));
  const used = stores.reduce((sum, store) => sum + store.reservedBytes, 0);
  assert.ok(used < 1024 * 1024, `after one entry each: ${used}`);
  for (const store of stores) store.close();
});

test('initialBytes reproduces eager preallocation on purpose, still bounded', () => {
  const store = new MemoryStore({
    ...story,
    maxBytes: 64 * 1024 * 1024,
    initialBytes: 32 * 1024 * 1024,
    budget: null,
  });
  // Everything asked for: the chunks fill each shard's share, beside its 64-byte index.
  assert.ok(store.reservedBytes >= 32 * 1024 * 1024, `preallocated ${store.reservedBytes}`);
  assert.ok(store.reservedBytes <= 64 * 1024 * 1024);
  for (let i = 0; i < 10_000; i++) store.set(`k${i}`, 'v'.repeat(100));
  assert.ok(store.reservedBytes <= 64 * 1024 * 1024);
  assert.equal(store.getString('k9999'), 'v'.repeat(100));
  store.close();
});
