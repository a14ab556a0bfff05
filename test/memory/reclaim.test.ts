import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from 'tiercache/memory';

test('overwriting the same 10k keys 1.5 million times stays flat and never evicts', () => {
  const store = new MemoryStore({ maxBytes: 16 * 1024 * 1024, budget: null });
  const keys = Array.from({ length: 10_000 }, (_, i) => `session:${i}`);
  // Values change length, so most overwrites cannot reuse the old slot in place.
  const values = Array.from({ length: 97 }, (_, i) => 'v'.repeat(40 + ((i * 37) % 160)));
  let reservedAfterWarmup = 0;
  let maxReserved = 0;
  for (let op = 0; op < 1_500_000; op++) {
    store.set(keys[(op * 7919) % keys.length]!, values[op % values.length]!);
    if (op === 200_000) reservedAfterWarmup = store.reservedBytes;
    if (op > 200_000 && op % 1000 === 0) maxReserved = Math.max(maxReserved, store.reservedBytes);
  }
  const stats = store.stats();
  assert.equal(stats.evictions, 0, 'no live entry was evicted');
  assert.equal(store.size, keys.length);
  assert.ok(
    maxReserved <= reservedAfterWarmup * 1.25,
    `reservedBytes stayed flat: ${reservedAfterWarmup} after warm-up, at most ${maxReserved} later`,
  );
  assert.ok(
    store.reservedBytes < 3 * store.usedBytes,
    `reserved ${store.reservedBytes} stays within 3x the live bytes ${store.usedBytes}`,
  );
  for (let op = 1_500_000 - keys.length; op < 1_500_000; op++) {
    assert.equal(store.getString(keys[(op * 7919) % keys.length]!), values[op % values.length]);
  }
  store.close();
});

test('a full store reclaims dead space before evicting live entries', () => {
  // ~60 % of the bytes are live; the rest is churn.
  const store = new MemoryStore({ shards: 1, maxBytes: 512 * 1024, budget: null });
  const live = 2000; // 2000 x 152 bytes = ~300 KiB
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < live; i++)
      store.set(`k${i}`, `${round}`.padEnd(100 + (round % 3) * 8, '.'));
  }
  assert.equal(store.stats().evictions, 0);
  assert.equal(store.size, live);
  store.close();
});

test('same-size overwrites reuse the slot in place', () => {
  const store = new MemoryStore({ shards: 1, budget: null });
  store.set('k', 'a'.repeat(100));
  const reserved = store.reservedBytes;
  for (let i = 0; i < 100_000; i++) store.set('k', String.fromCharCode(97 + (i % 26)).repeat(100));
  assert.equal(store.reservedBytes, reserved);
  assert.equal(store.usedBytes, 128); // 24 + 1 + 100 = 125, 8-aligned
  store.close();
});
