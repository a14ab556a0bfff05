import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from 'tiercache/memory';

test("eviction: 'fifo': when full, the oldest entries are evicted first and counted", () => {
  const evicted: string[] = [];
  const store = new MemoryStore({
    eviction: 'fifo',
    shards: 1,
    maxBytes: 128 * 1024,
    budget: null,
    onRemove: (key, value, reason) => {
      assert.equal(reason, 'evicted');
      assert.equal(value.toString(), `value of ${key}`.padEnd(100, '.'));
      evicted.push(key);
    },
  });
  const total = 5000;
  for (let i = 0; i < total; i++) {
    assert.equal(store.set(`k${i}`, `value of k${i}`.padEnd(100, '.')), true);
  }
  const survivors = [...store.keys()];
  const firstSurvivor = total - survivors.length;
  assert.deepEqual(
    survivors,
    Array.from({ length: survivors.length }, (_, i) => `k${firstSurvivor + i}`),
    'the survivors are exactly the newest entries, in order',
  );
  assert.deepEqual(
    evicted,
    Array.from({ length: firstSurvivor }, (_, i) => `k${i}`),
    'the evicted are exactly the oldest, in insertion order',
  );
  assert.equal(store.stats().evictions, firstSurvivor);
  assert.ok(survivors.length > 500, `most of the store stays in use (${survivors.length} entries)`);
  for (const key of survivors)
    assert.equal(store.getString(key), `value of ${key}`.padEnd(100, '.'));
  store.close();
});

test('eviction stays inside one shard: other shards keep their entries', () => {
  const store = new MemoryStore({ shards: 2, maxBytes: 64 * 1024, budget: null });
  for (let i = 0; i < 20_000; i++) store.set(`k${i}`, 'v'.repeat(50));
  assert.ok(store.stats().evictions > 0);
  assert.ok(store.reservedBytes <= 64 * 1024);
  // Every survivor still reads back.
  let count = 0;
  for (const [key, value] of store.entries()) {
    assert.match(key, /^k\d+$/);
    assert.equal(value.toString(), 'v'.repeat(50));
    count++;
  }
  assert.equal(count, store.size);
  store.close();
});
