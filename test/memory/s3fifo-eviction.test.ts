import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type EvictionPolicy, MemoryStore } from 'tiercache/memory';

const VALUE = 'v'.repeat(100);

/** A one-shard store of 64 KiB (about 400 entries of 136 bytes) with a fake clock. */
function smallStore(eviction: EvictionPolicy = 's3fifo') {
  const clock = { now: 1_000_000 };
  const evicted = new Set<string>();
  const expired = new Set<string>();
  const store = new MemoryStore({
    shards: 1,
    maxBytes: 64 * 1024,
    maxEntryBytes: 1024,
    budget: null,
    sweepIntervalMs: 0,
    eviction,
    now: () => clock.now,
    onRemove: (key, _value, reason) => {
      if (reason === 'evicted') evicted.add(key);
      if (reason === 'expired') expired.add(key);
    },
  });
  return { store, clock, evicted, expired };
}

/** Sets `count` keys never seen before, `prefix` + n, reading each once if `read`. */
function stream(store: MemoryStore, prefix: string, count: number, read = false): void {
  for (let i = 0; i < count; i++) {
    assert.equal(store.set(`${prefix}${i}`, VALUE), true);
    if (read) assert.equal(store.getString(`${prefix}${i}`), VALUE);
  }
}

test('a one-hit entry leaves from the small queue; entries read there stay', () => {
  const { store, evicted } = smallStore();
  // 100 entries read once while in the small queue: S3-FIFO moves them to main on eviction.
  stream(store, 'hot:', 100, true);
  // 3,000 entries never read: several times what the store holds.
  stream(store, 'once:', 3000);
  for (let i = 0; i < 100; i++) assert.equal(store.has(`hot:${i}`), true, `hot:${i} stayed`);
  const survivors = [...store.keys()].filter((key) => key.startsWith('once:'));
  // The one-hit entries left oldest first, and they were the only ones to leave.
  const oldest = 3000 - survivors.length;
  assert.deepEqual(
    survivors.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5))),
    Array.from({ length: survivors.length }, (_, i) => `once:${oldest + i}`),
  );
  assert.equal(evicted.size, oldest, 'every eviction was a one-hit entry');
  assert.ok(store.stats().reinserted >= 100, 'the hot entries were moved to main');
  store.close();
});

test("under 'fifo' the same stream pushes the read entries out", () => {
  const { store } = smallStore('fifo');
  stream(store, 'hot:', 100, true);
  stream(store, 'once:', 3000);
  for (let i = 0; i < 100; i++) assert.equal(store.has(`hot:${i}`), false);
  assert.equal(store.stats().reinserted, 0);
  store.close();
});

test('a read entry survives a pass of the main queue; unread ones leave', () => {
  const { store, evicted } = smallStore();
  // 200 entries read once in the small queue, then moved to main by a stream of one-hit keys.
  stream(store, 'main:', 200, true);
  stream(store, 'once:', 1000);
  for (let i = 0; i < 200; i++) assert.equal(store.has(`main:${i}`), true);
  // Read one of them in main.
  assert.equal(store.getString('main:7'), VALUE);
  // Entries read in the small queue keep flowing into main, so main must evict: continue
  // until every other of the 200 has left (one pass of the main queue).
  let n = 0;
  const othersGone = () => {
    for (let i = 0; i < 200; i++) if (i !== 7 && !evicted.has(`main:${i}`)) return false;
    return true;
  };
  while (!othersGone()) {
    stream(store, `read-${n++}:`, 50, true);
    assert.ok(n < 200, 'the main queue was evicted');
  }
  assert.equal(store.has('main:7'), true, 'the entry read in main was reinserted');
  assert.equal(evicted.has('main:7'), false);
  // Not read again, it leaves on the next pass.
  while (!evicted.has('main:7')) {
    stream(store, `read-${n++}:`, 50, true);
    assert.ok(n < 400, 'the entry read once leaves on a later pass');
  }
  store.close();
});

test('a ghost hit goes to main', () => {
  const { store, evicted } = smallStore();
  stream(store, 'filler:', 300);
  assert.equal(store.set('ghost', VALUE), true);
  assert.equal(store.set('plain', VALUE), true);
  // Both leave from the small queue unread; their hashes are remembered as ghosts.
  let n = 0;
  while (!evicted.has('ghost') || !evicted.has('plain')) stream(store, `once-${n++}:`, 50);
  // 'ghost' is stored again soon: a ghost hit, straight to main.
  assert.equal(store.set('ghost', VALUE), true);
  assert.equal(store.stats().ghostHits, 1);
  // A key that was never evicted goes to the small queue as usual.
  assert.equal(store.set('fresh', VALUE), true);
  assert.equal(store.stats().ghostHits, 1);
  // A stream of one-hit entries flushes the small queue but does not reach main.
  stream(store, 'flush:', 3000);
  assert.equal(evicted.has('fresh'), true, 'the new key left from the small queue');
  assert.equal(store.has('ghost'), true, 'the ghost hit was stored in main');
  store.close();
});

test('an expired entry is removed when its chunk is cleaned, even if it was read', () => {
  const { store, clock, evicted, expired } = smallStore();
  assert.equal(store.set('short', VALUE, { ttlMs: 1000 }), true);
  assert.equal(store.getString('short'), VALUE);
  clock.now += 1001;
  stream(store, 'once:', 3000);
  assert.equal(expired.has('short'), true, 'reported as expired');
  assert.equal(evicted.has('short'), false, 'not as evicted, and not kept for its read');
  store.close();
});

test('reservedBytes, ghost queue included, stays within maxBytes under s3fifo churn', () => {
  const { store } = smallStore();
  for (let round = 0; round < 20; round++) {
    stream(store, `r${round}:`, 300, round % 2 === 0);
    for (let i = 0; i < 300; i += 3) store.getString(`r${round}:${i}`);
    assert.ok(store.reservedBytes <= store.maxBytes, `${store.reservedBytes}`);
  }
  assert.ok(store.stats().reinserted > 0);
  store.close();
});
