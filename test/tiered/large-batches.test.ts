import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Redis } from 'ioredis';
import { TieredCache } from 'tiercache';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts';

const skip = await skipWithoutRedis();
let client: Redis;
before(() => {
  if (!skip) client = sharedRedis();
});
after(() => client?.disconnect());

it('getMany of 100k keys (half duplicates) loads each distinct key once and keeps the order', {
  skip,
  timeout: 60_000,
}, async () => {
  const name = uniquePrefix('huge');
  const loadedKeys: number[] = [];
  const cache = new TieredCache<number>({
    name,
    redis: client,
    redisTimeoutMs: 20_000, // 50k back-fill writes on a busy shared machine
    ttlMs: 60_000,
    memory: { maxBytes: 64 * 1024 * 1024 },
    load: (keys) => {
      loadedKeys.push(keys.length);
      return keys.map((key) => Number(key.slice(1)));
    },
  });
  try {
    const keys = Array.from({ length: 100_000 }, (_, i) => `k${i % 50_000}`);
    const values = await cache.getMany(keys);
    assert.equal(values.length, 100_000);
    for (let i = 0; i < values.length; i += 997) assert.equal(values[i], i % 50_000);
    assert.equal(values[99_999], 49_999);
    assert.deepEqual(loadedKeys, [50_000]);
    // The second read is served by the tiers: no loader call.
    const again = await cache.getMany(keys, { read: 'fresh' });
    assert.equal(again[77_777], 27_777);
    assert.deepEqual(loadedKeys, [50_000]);
  } finally {
    const all = Array.from({ length: 50_000 }, (_, i) => `k${i}`);
    await cache.deleteMany(all);
    await cache.close();
  }
});
