// A large getMany on a new cache runs as one batch that is indexed only when someone looks one
// of its keys up (see single-flight.ts). Reads joining it, and writes and deletes made while its
// MGET answer is held back, must still find it: the join reads nothing more from Redis, and a
// written or deleted key's stale result reaches the getMany but is never back-filled into memory.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Redis } from 'ioredis';
import { TieredCache } from 'tiercache';
import { gatedLoader } from '../helpers/gated-loader.ts';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts';

const skip = await skipWithoutRedis();
let client: Redis;
before(() => {
  if (!skip) client = sharedRedis();
});
after(() => client?.disconnect());

/** Holds every MGET answer of `redis` back until `release` (the command itself runs at once). */
function holdMgets(redis: Redis): () => void {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const own = Redis.prototype.mgetBuffer;
  redis.mgetBuffer = ((...args: Parameters<typeof own>) => {
    const answer = own.apply(redis, args);
    return gate.then(() => answer);
  }) as typeof own;
  return release;
}

it('a join, a write and a delete during a large getMany on a new cache', { skip }, async () => {
  const name = uniquePrefix('gm-detach');
  const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
  const writer = new TieredCache<string>({ name, redis: client, bus: false, ttlMs: 60_000 });
  for (const key of keys) await writer.set(key, `v${key.slice(1)}`);
  await writer.close();
  const redis = sharedRedis();
  const release = holdMgets(redis);
  const cache = new TieredCache<string>({ name, redis, bus: false, ttlMs: 60_000 });
  try {
    const pending = cache.getMany(keys);
    const joined = cache.get('k7');
    // Both end (Redis and memory written) while the getMany still waits for its answer.
    await cache.set('k5', 'new');
    await cache.delete('k9');
    release();
    const values = await pending;
    assert.deepEqual(
      values,
      keys.map((key) => `v${key.slice(1)}`),
      'the stale results still reach the getMany',
    );
    assert.equal(await joined, 'v7');
    assert.equal(cache.stats().redis.hits, 40, 'the joined get read nothing from Redis');
    const before = cache.stats();
    // Memory holds the write, not the getMany's older value; the deleted key is not back.
    assert.equal(await cache.get('k5', { read: 'fast' }), 'new');
    assert.equal(await cache.get('k9', { read: 'fast' }), undefined);
    assert.equal(await cache.get('k3', { read: 'fast' }), 'v3');
    const now = cache.stats();
    assert.equal(now.memory.hits - before.memory.hits, 2, 'k5 and k3 from memory');
  } finally {
    await cache.deleteMany(keys);
    await cache.close();
    redis.disconnect();
  }
});

it('a write and a delete while a large getMany waits for its loader', { skip }, async () => {
  const name = uniquePrefix('gm-detach-load');
  const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
  const loaded: string[][] = [];
  const { load, loading, release } = gatedLoader((batch) => {
    loaded.push(batch);
    return batch.map((key) => `old-${key}`);
  });
  const cache = new TieredCache<string>({ name, redis: client, bus: false, ttlMs: 60_000, load });
  try {
    const pending = cache.getMany(keys);
    await loading;
    const joined = cache.get('k7');
    await cache.set('k5', 'new');
    await cache.delete('k9');
    release();
    const values = await pending;
    assert.deepEqual(
      values,
      keys.map((key) => `old-${key}`),
    );
    assert.equal(await joined, 'old-k7');
    assert.equal(loaded.length, 1, 'one loader call: the get joined');
    // The back-fill (memory and Redis) left out the written and the deleted key.
    assert.equal(await cache.get('k5', { read: 'fast' }), 'new');
    assert.equal(await client.get(`${name}:k9`), null);
    const before = cache.stats();
    assert.equal(await cache.get('k3', { read: 'fast' }), 'old-k3');
    assert.equal(cache.stats().memory.hits - before.memory.hits, 1);
    assert.equal(await cache.get('k9', { read: 'fast' }), 'old-k9');
    assert.equal(loaded.length, 2, 'k9 was not in memory: loaded again');
  } finally {
    await cache.deleteMany(keys);
    await cache.close();
  }
});
