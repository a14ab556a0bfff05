// getMany into an empty memory store (a new cache's) skips the per-key memory look-ups: the
// result, the back-fill and the miss counts must be what the look-ups would have given, with
// repeated keys; a store that holds anything is still looked up key by key.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Redis } from 'ioredis';
import { TieredCache } from 'tiercache';
import { MemoryStore } from 'tiercache/memory';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts';

const skip = await skipWithoutRedis();
let client: Redis;
before(() => {
  if (!skip) client = sharedRedis();
});
after(() => client?.disconnect());

it('getMany on an empty store: aligned values, one miss per distinct key, then memory hits', {
  skip,
}, async () => {
  const name = uniquePrefix('gm-empty');
  const writer = new TieredCache<number>({ name, redis: client, bus: false, ttlMs: 60_000 });
  for (let i = 0; i < 40; i++) await writer.set(`k${i}`, i);
  await writer.close();
  const cache = new TieredCache<number>({ name, redis: client, bus: false, ttlMs: 60_000 });
  try {
    const keys = Array.from({ length: 90 }, (_, i) => `k${i % 45}`); // k40..k44 not in Redis
    const values = await cache.getMany(keys);
    assert.deepEqual(
      values,
      keys.map((_, i) => (i % 45 < 40 ? i % 45 : undefined)),
    );
    const first = cache.stats().memory;
    assert.equal(first.misses, 45);
    assert.equal(first.hits, 0);
    // The 40 found in Redis were back-filled: the same call is now served by memory for them.
    const again = await cache.getMany(keys);
    assert.deepEqual(again, values);
    const second = cache.stats().memory;
    assert.equal(second.hits, 40);
    assert.equal(second.misses, 50);
  } finally {
    await cache.close();
  }
});

it('getMany over a non-empty store still looks each key up in memory', {
  skip,
}, async () => {
  const name = uniquePrefix('gm-shared');
  const store = new MemoryStore({ name: 'gm-shared-store' });
  const a = new TieredCache<number>({
    name,
    redis: client,
    memory: store,
    bus: false,
    ttlMs: 60_000,
  });
  try {
    await a.set('x', 1);
    await client.del(`${name}:x`); // now only memory has it
    const values = await a.getMany(['x', 'y']);
    assert.deepEqual(values, [1, undefined]);
    assert.equal(a.stats().memory.hits, 1);
  } finally {
    await a.close();
    store.close();
  }
});

// The caller owns its keys array: changing it once getMany has returned its promise must not
// reach the fetch (review of the back-fill speed-up, D1). The batch keeps a copy of its own.
it('a caller changing its keys array during getMany: no value under the wrong key in memory', {
  skip,
}, async () => {
  const name = uniquePrefix('gm-caller-array');
  const writer = new TieredCache<string>({ name, redis: client, bus: false, ttlMs: 60_000 });
  const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
  for (const key of keys) await writer.set(key, `v${key.slice(1)}`);
  await writer.close();
  const cache = new TieredCache<string>({ name, redis: client, bus: false, ttlMs: 60_000 });
  try {
    const pending = cache.getMany(keys);
    keys[0] = 'other';
    assert.deepEqual(
      await pending,
      Array.from({ length: 20 }, (_, i) => `v${i}`),
    );
    assert.equal(await cache.get('other', { read: 'fast' }), undefined);
    assert.equal(await cache.get('k0', { read: 'fast' }), 'v0');
  } finally {
    await cache.close();
  }
});

for (const memory of [true, false]) {
  it(`a caller changing its keys array during a small getMany leaves no flight behind (memory: ${memory})`, {
    skip,
  }, async () => {
    const name = uniquePrefix('gm-caller-flight');
    const writer = new TieredCache<string>({ name, redis: client, bus: false, ttlMs: 60_000 });
    await writer.set('a', 'A1');
    await writer.set('b', 'B1');
    const cache = new TieredCache<string>({
      name,
      redis: client,
      bus: false,
      ttlMs: 60_000,
      ...(memory ? {} : { memory: false }),
    });
    try {
      const keys = ['a', 'b'];
      const pending = cache.getMany(keys, { read: 'fresh' });
      keys[0] = 'zzz';
      assert.deepEqual(await pending, ['A1', 'B1']);
      // Another process changes `a`; a fresh read must see it, not a flight left in the table.
      await writer.set('a', 'A2');
      assert.equal(await cache.get('a', { read: 'fresh' }), 'A2');
    } finally {
      await cache.close();
      await writer.close();
    }
  });
}
