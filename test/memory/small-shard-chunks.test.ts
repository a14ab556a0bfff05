// A shard under 64 KiB gets 1-2 KiB chunks, pieces of pages: enough chunks for fine-grained
// eviction, without a page per chunk, and every page back in the pool once the store closes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHUNK_HEAP_BYTES, MemoryStore } from 'tiercache/memory';
import { resolveOptions } from '../../src/memory/options.ts';
import { PAGE_BYTES, slabPool } from '../../src/memory/slab-pool.ts';

test('chunk size: 1 KiB under 32 KiB shards, 2 KiB under 64 KiB, 4 KiB from 64 KiB on', () => {
  const chunk = (maxBytes: number) => resolveOptions({ maxBytes }).chunkBytes;
  assert.equal(chunk(8 * 1024), 1024);
  assert.equal(chunk(31 * 1024), 1024);
  assert.equal(chunk(32 * 1024), 2048);
  assert.equal(chunk(63 * 1024), 2048);
  assert.equal(chunk(64 * 1024), 4096);
  assert.equal(chunk(1024 * 1024), 4096); // 16 shards of 64 KiB
  assert.equal(chunk(64 * 1024 * 1024), 131_072); // 4 MiB shards: as before
  // Many shards of a large store are small shards too.
  assert.equal(resolveOptions({ maxBytes: 1024 * 1024, shards: 64 }).chunkBytes, 1024);
});

for (const eviction of ['s3fifo', 'adaptive', 'fifo'] as const) {
  test(`a 40 KiB store (${eviction}) holds 16+ chunks on shared pages and gives every page back`, () => {
    const before = slabPool.snapshot().leasedBytes;
    const maxBytes = 40 * 1024;
    const store = new MemoryStore({ name: `small-${eviction}`, maxBytes, budget: null, eviction });
    const value = 'v'.repeat(100);
    let maxChunks = 0;
    for (let i = 0; i < 5000; i++) {
      const key = `key:${(i % 1500).toString().padStart(6, '0')}`;
      if (store.getString(key) === undefined) store.set(key, value);
      if ((i & 63) === 0) {
        const stats = store.stats();
        const reserved = store.reservedBytes;
        assert.ok(reserved <= maxBytes, 'the byte bound holds');
        assert.equal(stats.chunkObjectBytes, stats.chunks * CHUNK_HEAP_BYTES);
        maxChunks = Math.max(maxChunks, stats.chunks);
        // Pieces share pages: the pool leases at most the chunks' bytes plus a page per size.
        const leased = slabPool.snapshot().leasedBytes - before;
        assert.ok(leased <= reserved + 2 * PAGE_BYTES, `${leased} bytes leased`);
      }
    }
    assert.ok(store.size > 150, `${store.size} entries held`);
    assert.ok(maxChunks >= 16, `${maxChunks} chunks`);
    store.close();
    assert.equal(slabPool.snapshot().leasedBytes, before, 'every page back in the pool');
  });
}
