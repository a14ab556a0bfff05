// 10,000 empty stores with default options must cost at most 20 MiB of process memory: a new
// store allocates only small fixed structures (shards are created on first write).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_MANY_STORES_THRESHOLD,
  MemoryStore,
  setManyStoresThreshold,
} from 'tiercache/memory';

const gc = globalThis.gc as () => void;

test('10,000 empty default stores cost at most 20 MiB', (t) => {
  setManyStoresThreshold(Number.POSITIVE_INFINITY);
  try {
    gc();
    const before = process.memoryUsage();
    const stores = Array.from({ length: 10_000 }, () => new MemoryStore());
    gc();
    const after = process.memoryUsage();
    const cost = after.heapUsed + after.external - (before.heapUsed + before.external);
    t.diagnostic(`10,000 empty stores: ${(cost / 1024 / 1024).toFixed(2)} MiB`);
    assert.ok(cost <= 20 * 1024 * 1024, `10,000 empty stores cost ${cost} bytes`);
    assert.equal(
      stores.reduce((sum, store) => sum + store.reservedBytes, 0),
      0,
    );
    for (const store of stores) store.close();
  } finally {
    setManyStoresThreshold(DEFAULT_MANY_STORES_THRESHOLD);
  }
});
