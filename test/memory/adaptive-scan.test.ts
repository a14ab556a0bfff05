import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from 'tiercache/memory';

const VALUE = 'v'.repeat(100);

test("'adaptive': entries in use survive a scan of keys requested once", () => {
  const store = new MemoryStore({
    shards: 1,
    maxBytes: 64 * 1024,
    budget: null,
    sweepIntervalMs: 0,
    eviction: 'adaptive',
  });
  // 100 hot keys, each requested (read-through) several times.
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 100; i++) {
      if (store.getString(`hot:${i}`) === undefined) store.set(`hot:${i}`, VALUE);
    }
  }
  // A scan of 1,000 keys never requested again: two and a half times what the store holds.
  for (let i = 0; i < 1000; i++) {
    if (store.getString(`scan:${i}`) === undefined) store.set(`scan:${i}`, VALUE);
  }
  let held = 0;
  for (let i = 0; i < 100; i++) if (store.has(`hot:${i}`)) held++;
  assert.equal(held, 100, `hot keys still held: ${held} of 100`);
  assert.ok(store.stats().evictions >= 600, 'the scan forced evictions');
  store.close();
});
