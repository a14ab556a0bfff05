import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  allocatorReport,
  MemoryBudget,
  MemoryStore,
  type MemoryStoreOptions,
} from 'tiercache/memory';
import { seededRandom } from '../helpers/random.ts';

const configs: [string, MemoryStoreOptions][] = [
  ['one tiny shard', { shards: 1, maxBytes: 16 * 1024, maxEntryBytes: 2048 }],
  ['four shards', { shards: 4, maxBytes: 256 * 1024, maxEntryBytes: 8 * 1024 }],
  ['sixteen shards, big entries', { shards: 16, maxBytes: 1024 * 1024, maxEntryBytes: 16 * 1024 }],
  ['story-like: many shards', { shards: 256, maxBytes: 4 * 1024 * 1024, maxEntryBytes: 4 * 1024 }],
];

for (const [label, options] of configs) {
  test(`reservedBytes never exceeds maxBytes under random load: ${label}`, () => {
    const next = seededRandom(label.length * 7919);
    const store = new MemoryStore({ ...options, budget: null });
    const maxBytes = options.maxBytes!;
    const last = new Map<string, string>();
    let peak = 0;
    for (let op = 0; op < 30_000; op++) {
      const key = `key:${Math.floor(next() * 3000)}`;
      const roll = next();
      if (roll < 0.6) {
        const length = Math.floor(next() ** 3 * (options.maxEntryBytes! - 64));
        const value = String.fromCharCode(97 + (op % 26)).repeat(length);
        if (store.set(key, value)) last.set(key, value);
      } else if (roll < 0.85) {
        const value = store.getString(key);
        if (value !== undefined)
          assert.equal(value, last.get(key), 'a hit returns the last value set');
      } else if (roll < 0.999) {
        store.delete(key);
        last.delete(key);
      } else {
        store.clear();
        last.clear();
      }
      const reserved = store.reservedBytes;
      assert.ok(reserved <= maxBytes, `op ${op}: reservedBytes ${reserved} > maxBytes ${maxBytes}`);
      assert.ok(store.usedBytes <= reserved);
      peak = Math.max(peak, reserved);
    }
    assert.ok(peak > maxBytes / 2, `the load filled the store (peak ${peak})`);
    assert.ok(store.stats().evictions > 0, 'the load forced evictions');
    store.close();
  });
}

test('a budget smaller than maxBytes bounds the store instead', () => {
  const budget = new MemoryBudget({ maxBytes: 100_000 });
  const store = new MemoryStore({ shards: 4, maxBytes: 1024 * 1024, budget });
  for (let i = 0; i < 20_000; i++) {
    store.set(`k${i}`, 'v'.repeat(i % 300));
    assert.ok(budget.reservedBytes <= 100_000);
    assert.equal(budget.reservedBytes, store.reservedBytes);
  }
  assert.ok(store.size > 100, 'the store keeps working inside the budget');
  store.close();
  assert.equal(budget.reservedBytes, 0);
});

// Chunk memory is leased from the process-wide slab pool (resizable ArrayBuffers, which
// `process.memoryUsage().arrayBuffers` does not follow): the pool's committed bytes are what the
// process holds for the store's chunks. The pool's resident reserve (freed ranges kept for the
// next leases, at most 1 MiB) is left out: a new store's first chunks come from it.
function committedChunkBytes(): number {
  const arena = allocatorReport().arena;
  return arena.committedBytes - arena.reserveBytes;
}

test('memory actually held (committed chunk bytes) follows reservedBytes', () => {
  const before = committedChunkBytes();
  const store = new MemoryStore({ shards: 8, maxBytes: 8 * 1024 * 1024, budget: null });
  for (let i = 0; i < 200_000; i++) store.set(`user:${i}`, 'x'.repeat(100));
  const held = committedChunkBytes() - before;
  assert.ok(store.reservedBytes <= 8 * 1024 * 1024);
  // Index tables and the ghost queue are reserved but are not chunks: allow a little slack.
  assert.ok(
    held <= store.reservedBytes + 64 * 1024,
    `held ${held} vs reserved ${store.reservedBytes}`,
  );
  // The rest of reservedBytes is the shards' index tables (about a sixth here).
  assert.ok(held >= store.reservedBytes * 0.75, `held ${held} vs reserved ${store.reservedBytes}`);
  store.close();
});
