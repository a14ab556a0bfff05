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
