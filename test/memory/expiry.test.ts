import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStore, type RemovalReason } from 'tiercache/memory';

function fakeClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

test('the store-wide ttlMs expires entries; an expired entry is never returned', () => {
  const clock = fakeClock();
  const store = new MemoryStore({ ttlMs: 1000, now: clock.now, sweepIntervalMs: 0, budget: null });
  store.set('a', 'alpha');
  clock.advance(999);
  assert.equal(store.getString('a'), 'alpha');
  clock.advance(1);
  assert.equal(store.getString('a'), undefined);
  assert.equal(store.get('a'), undefined);
  assert.equal(store.has('a'), false);
  assert.equal(store.delete('a'), false);
  assert.equal(store.stats().expirations, 1);
  assert.equal(store.size, 0);
  store.close();
});

test('a per-set ttlMs overrides the store default, 0 meaning no expiry', () => {
  const clock = fakeClock();
  const store = new MemoryStore({ ttlMs: 1000, now: clock.now, sweepIntervalMs: 0, budget: null });
  store.set('short', 'v', { ttlMs: 10 });
  store.set('forever', 'v', { ttlMs: 0 });
  store.set('default', 'v');
  store.set('explicit-undefined', 'v', {});
  clock.advance(10);
  assert.equal(store.has('short'), false);
  assert.equal(store.has('default'), true);
  clock.advance(10_000_000);
  assert.equal(store.has('default'), false);
  assert.equal(store.has('explicit-undefined'), false);
  assert.equal(store.has('forever'), true);
  store.close();
});

test('overwriting renews or removes the expiry', () => {
  const clock = fakeClock();
  const store = new MemoryStore({ now: clock.now, sweepIntervalMs: 0, budget: null });
  store.set('k', 'v1', { ttlMs: 100 });
  clock.advance(90);
  store.set('k', 'v2', { ttlMs: 100 });
  clock.advance(90);
  assert.equal(store.getString('k'), 'v2');
  store.set('k', 'v3');
  clock.advance(1_000_000);
  assert.equal(store.getString('k'), 'v3');
  store.close();
});

test('expired entries are skipped by iteration', () => {
  const clock = fakeClock();
  const store = new MemoryStore({ now: clock.now, sweepIntervalMs: 0, budget: null });
  store.set('stays', 'v');
  store.set('goes', 'v', { ttlMs: 5 });
  clock.advance(5);
  assert.deepEqual([...store.keys()], ['stays']);
  assert.deepEqual(
    [...store.entries()].map(([k]) => k),
    ['stays'],
  );
  store.close();
});

test('purgeExpired removes and counts expired entries and reports them to onRemove', () => {
  const clock = fakeClock();
  const removed: [string, string, RemovalReason][] = [];
  const store = new MemoryStore({
    now: clock.now,
    sweepIntervalMs: 0,
    budget: null,
    onRemove: (key, value, reason) => removed.push([key, value.toString(), reason]),
  });
  for (let i = 0; i < 100; i++) store.set(`k${i}`, `v${i}`, { ttlMs: i < 60 ? 50 : 0 });
  clock.advance(50);
  assert.equal(store.purgeExpired(), 60);
  assert.equal(store.size, 40);
  assert.equal(store.stats().expirations, 60);
  assert.equal(removed.length, 60);
  for (const [key, value, reason] of removed) {
    assert.equal(reason, 'expired');
    assert.equal(value, `v${key.slice(1)}`);
  }
  assert.equal(store.purgeExpired(), 0);
  store.close();
});

test('expired space is reclaimed: a store of short-lived entries does not fill up', () => {
  const clock = fakeClock();
  const store = new MemoryStore({
    shards: 1,
    maxBytes: 64 * 1024,
    now: clock.now,
    sweepIntervalMs: 0,
    budget: null,
  });
  for (let i = 0; i < 50_000; i++) {
    store.set(`k${i}`, 'x'.repeat(100), { ttlMs: 10 });
    clock.advance(1);
  }
  const stats = store.stats();
  assert.equal(stats.evictions, 0, 'expired entries made room, nothing live was evicted');
  assert.ok(stats.expirations > 40_000);
  store.close();
});

test('the background sweep removes expired entries without any read', async () => {
  const clock = fakeClock();
  const store = new MemoryStore({ now: clock.now, sweepIntervalMs: 5, budget: null });
  for (let i = 0; i < 10; i++) store.set(`k${i}`, 'v', { ttlMs: 100 });
  clock.advance(100);
  // Wait for the sweep (an unref'ed interval) to run; bounded by the test's own timeout.
  for (let i = 0; i < 2000 && store.stats().expirations < 10; i++) await sleep(5);
  assert.equal(store.stats().expirations, 10);
  assert.equal(store.reservedBytes, 0, 'the swept store returned its memory');
  store.close();
});

test('an entry expiring during an iteration is skipped and reported', () => {
  let now = 0;
  const removed: string[] = [];
  const store = new MemoryStore({
    now: () => now,
    sweepIntervalMs: 0,
    budget: null,
    shards: 1,
    onRemove: (key, _value, reason) => removed.push(`${key}:${reason}`),
  });
  store.set('first', 'v');
  store.set('second', 'v', { ttlMs: 10 });
  const seen: string[] = [];
  for (const key of store.keys()) {
    seen.push(key);
    now = 10;
  }
  assert.deepEqual(seen, ['first']);
  assert.deepEqual(removed, ['second:expired']);
  store.close();
});
