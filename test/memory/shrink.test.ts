import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from 'tiercache/memory';

test('reserved memory shrinks back after most entries are deleted', () => {
  const store = new MemoryStore({ budget: null });
  for (let i = 0; i < 100_000; i++) store.set(`user:${i}`, 'x'.repeat(100));
  const full = store.reservedBytes;
  for (let i = 0; i < 100_000; i++) if (i % 20 !== 0) store.delete(`user:${i}`);
  assert.equal(store.size, 5000);
  const after = store.reservedBytes;
  assert.ok(after < full / 4, `reserved ${after} after deleting 95 %, was ${full}`);
  for (let i = 0; i < 100_000; i += 20) assert.equal(store.getString(`user:${i}`), 'x'.repeat(100));
  store.close();
});

test('deleting every entry returns every byte', () => {
  const store = new MemoryStore({ budget: null });
  for (let i = 0; i < 50_000; i++) store.set(`k${i}`, 'value');
  assert.ok(store.reservedBytes > 0);
  for (let i = 0; i < 50_000; i++) store.delete(`k${i}`);
  assert.equal(store.reservedBytes, 0);
  assert.equal(store.usedBytes, 0);
  store.close();
});

test('clear() returns every byte at once', () => {
  const store = new MemoryStore({ budget: null });
  for (let i = 0; i < 50_000; i++) store.set(`k${i}`, 'value');
  store.clear();
  assert.equal(store.reservedBytes, 0);
  store.close();
});

test('a lone large chunk is replaced by a smaller one when it empties out', () => {
  const store = new MemoryStore({ shards: 1, budget: null });
  for (let i = 0; i < 20_000; i++) store.set(`k${i}`, 'x'.repeat(100));
  for (let i = 1; i < 20_000; i++) store.delete(`k${i}`);
  assert.ok(store.reservedBytes <= 8192, `one entry left holds ${store.reservedBytes} bytes`);
  assert.equal(store.getString('k0'), 'x'.repeat(100));
  store.close();
});

test('a shard emptied by a read that finds everything expired gives its chunks back', () => {
  // The read of 'big' cleans the log, which drops the other 30 expired entries as well; the
  // shard is then empty and must not keep a chunk (only its smallest index remains).
  for (const eviction of ['fifo', 's3fifo'] as const) {
    let now = 0;
    const store = new MemoryStore({
      budget: null,
      shards: 1,
      maxBytes: 1 << 20,
      eviction,
      sweepIntervalMs: 0,
      now: () => now,
    });
    for (let i = 0; i < 30; i++) store.set(`k${i}`, 'v'.repeat(100), { ttlMs: 10 });
    store.set('big', 'b'.repeat(2000), { ttlMs: 10 });
    now = 20;
    assert.equal(store.get('big'), undefined);
    assert.equal(store.size, 0, eviction);
    assert.equal(store.usedBytes, 0, eviction);
    assert.ok(
      store.reservedBytes <= 64,
      `${eviction}: ${store.reservedBytes} bytes held while empty`,
    );
    store.close();
  }
});
