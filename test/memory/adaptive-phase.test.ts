import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from 'tiercache/memory';

const VALUE = 'v'.repeat(100);

test("'adaptive' follows a change of working set: the new hot keys become resident", () => {
  const store = new MemoryStore({
    shards: 1,
    maxBytes: 64 * 1024,
    budget: null,
    sweepIntervalMs: 0,
    eviction: 'adaptive',
  });
  const request = (key: string): boolean => {
    if (store.getString(key) !== undefined) return true;
    store.set(key, VALUE);
    return false;
  };
  // Phase 1: 200 keys requested many times (they become frequent in the sketch and fill main).
  for (let round = 0; round < 20; round++) for (let i = 0; i < 200; i++) request(`old:${i}`);
  // Phase 2: 200 other keys, as often; the old ones are never asked for again.
  let lateHits = 0;
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 200; i++) if (request(`new:${i}`) && round >= 10) lateHits++;
  }
  // In the second half of phase 2 nearly every request hits: the store holds ~400 entries.
  assert.ok(lateHits >= 0.95 * 10 * 200, `late hits ${lateHits} of ${10 * 200}`);
  let stillNew = 0;
  for (let i = 0; i < 200; i++) if (store.has(`new:${i}`)) stillNew++;
  assert.equal(stillNew, 200);
  store.close();
});
