import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHUNK_HEAP_BYTES, MemoryStore } from 'tiercache/memory';

test('set, get, getString, has and delete', () => {
  const store = new MemoryStore({ name: 'basics', budget: null });
  assert.equal(store.set('a', 'alpha'), true);
  assert.equal(store.set('b', new Uint8Array([1, 2, 3])), true);
  assert.equal(store.getString('a'), 'alpha');
  assert.deepEqual(store.get('b'), Buffer.from([1, 2, 3]));
  assert.equal(store.get('missing'), undefined);
  assert.equal(store.getString('missing'), undefined);
  assert.equal(store.has('a'), true);
  assert.equal(store.has('c'), false);
  assert.equal(store.size, 2);
  assert.equal(store.delete('a'), true);
  assert.equal(store.delete('a'), false);
  assert.equal(store.has('a'), false);
  assert.equal(store.size, 1);
  assert.deepEqual(store.stats(), {
    hits: 2,
    misses: 2,
    sets: 2,
    deletes: 1,
    evictions: 0,
    expirations: 0,
    collisions: 0,
    reinserted: 0,
    ghostHits: 0,
    // One 4 KiB chunk holds the entry left; its objects count in the footprint.
    chunks: 1,
    chunkObjectBytes: CHUNK_HEAP_BYTES,
    footprintBytes: store.reservedBytes + CHUNK_HEAP_BYTES,
  });
  store.close();
});

test('overwrite replaces the value, in place or not', () => {
  const store = new MemoryStore({ budget: null });
  store.set('k', 'a long first value that leaves room');
  const used = store.usedBytes;
  store.set('k', 'short');
  assert.equal(store.getString('k'), 'short');
  assert.equal(store.usedBytes, used, 'a shorter value reuses the slot');
  store.set('k', 'x'.repeat(500));
  assert.equal(store.getString('k'), 'x'.repeat(500));
  assert.equal(store.size, 1);
  store.close();
});

test('get returns a copy the caller owns', () => {
  const store = new MemoryStore({ budget: null });
  const input = new Uint8Array([9, 8, 7]);
  store.set('k', input);
  input[0] = 0;
  const first = store.get('k')!;
  assert.deepEqual([...first], [9, 8, 7]);
  first[1] = 0;
  assert.deepEqual([...store.get('k')!], [9, 8, 7]);
  store.close();
});

test('stats() is a frozen snapshot', () => {
  const store = new MemoryStore({ budget: null });
  const before = store.stats();
  store.get('x');
  assert.equal(before.misses, 0);
  assert.equal(store.stats().misses, 1);
  assert.ok(Object.isFrozen(before));
  store.close();
});

test('keys() and entries() list every live entry once', () => {
  const store = new MemoryStore({ shards: 4, budget: null });
  const expected = new Map<string, string>();
  for (let i = 0; i < 500; i++) {
    store.set(`k${i}`, `v${i}`);
    expected.set(`k${i}`, `v${i}`);
  }
  for (let i = 0; i < 500; i += 3) {
    store.delete(`k${i}`);
    expected.delete(`k${i}`);
  }
  const keys = [...store.keys()];
  assert.equal(keys.length, expected.size);
  assert.deepEqual(new Set(keys), new Set(expected.keys()));
  const entries = new Map([...store.entries()].map(([k, v]) => [k, v.toString()]));
  assert.deepEqual(entries, expected);
  assert.deepEqual(new Map([...store].map(([k, v]) => [k, v.toString()])), expected);
  assert.equal(store.stats().hits, 0, 'iteration does not count as lookups');
  store.close();
});

test('keys deleted during iteration are not yielded later', () => {
  const store = new MemoryStore({ shards: 1, budget: null });
  for (let i = 0; i < 10; i++) store.set(`k${i}`, 'v');
  const seen: string[] = [];
  for (const key of store.keys()) {
    seen.push(key);
    if (key === 'k0') store.delete('k5');
  }
  assert.equal(seen.length, 9);
  assert.ok(!seen.includes('k5'));
  store.close();
});

test('clear() removes everything and the store stays usable', () => {
  const store = new MemoryStore({ budget: null });
  for (let i = 0; i < 1000; i++) store.set(`k${i}`, 'value');
  store.clear();
  assert.equal(store.size, 0);
  assert.equal(store.usedBytes, 0);
  assert.equal(store.reservedBytes, 0);
  assert.equal(store.get('k1'), undefined);
  store.set('again', 'yes');
  assert.equal(store.getString('again'), 'yes');
  store.close();
});

test('usedBytes counts headers, keys and values, 8-aligned', () => {
  const store = new MemoryStore({ budget: null });
  store.set('abc', 'defgh'); // 24 + 3 + 5 = 32
  assert.equal(store.usedBytes, 32);
  store.set('x', 'y'); // 24 + 1 + 1 = 26 -> 32
  assert.equal(store.usedBytes, 64);
  store.close();
});
