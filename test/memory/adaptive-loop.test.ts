import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type EvictionPolicy, MemoryStore } from 'tiercache/memory';

const VALUE = 'v'.repeat(100);

/** Hit ratio of a read-through loop over `keys` keys, `rounds` times, in a one-shard 64 KiB store. */
function loopHitRatio(eviction: EvictionPolicy, keys: number, rounds: number): number {
  const store = new MemoryStore({
    shards: 1,
    maxBytes: 64 * 1024,
    budget: null,
    sweepIntervalMs: 0,
    eviction,
  });
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < keys; i++) {
      if (store.getString(`loop:${i}`) === undefined) store.set(`loop:${i}`, VALUE);
    }
  }
  const { hits, misses } = store.stats();
  store.close();
  return hits / (hits + misses);
}

test("'adaptive' keeps part of a loop longer than the store; 'fifo' keeps none of it", () => {
  // The store holds about 400 entries of 136 bytes; the loop cycles over 600 keys.
  const adaptive = loopHitRatio('adaptive', 600, 30);
  const fifo = loopHitRatio('fifo', 600, 30);
  assert.equal(fifo, 0, 'a FIFO always evicts the key the loop asks for next');
  // The sketch keeps the entries in main from being displaced by keys no more frequent than
  // they are: a stable part of the loop stays, well over a third of the requests hit.
  assert.ok(adaptive > 0.35, `adaptive hit ratio ${adaptive.toFixed(3)}`);
});
