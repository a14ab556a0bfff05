import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { LoaderError, TieredCache, type TieredCacheOptions } from 'tiercache';
import { type PrivateRedis, startRedisServer } from '../helpers/redis-server.ts';

// When Redis does not answer, the memory tier's copy (kept graceMs past its TTL) is the last value.
describe('graceMs while Redis is down', { timeout: 60_000 }, () => {
  let server: PrivateRedis;
  let client: Redis;
  const opened: Array<TieredCache<string>> = [];
  before(async () => {
    server = await startRedisServer();
    client = server.client();
    client.on('error', () => {});
  });
  afterEach(async () => {
    server.resume();
    await Promise.all(opened.splice(0).map((cache) => cache.close()));
  });
  after(async () => {
    client.disconnect();
    await server.kill();
  });

  const make = (name: string, options: Partial<TieredCacheOptions<string>>) => {
    const cache = new TieredCache<string>({
      name,
      redis: client,
      redisTimeoutMs: 300,
      ttlJitter: 0,
      // One node: no bus, whose first subscription would drop memory under the test's feet.
      bus: false,
      ...options,
    });
    const errors: Error[] = [];
    cache.on('error', (error) => errors.push(error));
    opened.push(cache);
    return { cache, errors };
  };

  it('serves the memory copy past its TTL when both Redis and the loader fail', async () => {
    let failing = false;
    const load = (keys: string[]) => {
      if (failing) throw new Error('database down');
      return keys.map((key) => `${key}:v1`);
    };
    const { cache, errors } = make('grace-down', { load, ttlMs: 100, graceMs: 60_000 });
    assert.equal(await cache.get('k'), 'k:v1');
    await sleep(150); // past the TTL
    failing = true;
    server.pause();
    assert.equal(await cache.get('k'), 'k:v1');
    assert.deepEqual(await cache.getMany(['k'], { read: 'fresh' }), ['k:v1']);
    assert.ok(cache.stats().grace.stale >= 2);
    assert.ok(errors.some((error) => /database down/.test(error.message)));
    assert.ok(
      errors.some((error) => (error as { code?: string }).code === 'TIERCACHE_REDIS_TIMEOUT'),
    );
  });

  it('without a loader, a fresh read whose Redis read fails is answered from memory', async () => {
    const { cache } = make('grace-noload', { ttlMs: 60_000, graceMs: 60_000 });
    const { cache: plain } = make('plain-noload', { ttlMs: 60_000 });
    await cache.set('k', 'v');
    await plain.set('k', 'v');
    server.pause();
    assert.equal(await cache.get('k'), 'v');
    assert.equal(await plain.get('k'), undefined, 'without graceMs a failed Redis read is a miss');
  });

  it('serves nothing once graceMs has passed too', async () => {
    let failing = false;
    const load = (keys: string[]) => {
      if (failing) throw new Error('database down');
      return keys.map((key) => `${key}:v1`);
    };
    const { cache } = make('grace-over', { load, ttlMs: 100, graceMs: 200 });
    assert.equal(await cache.get('k'), 'k:v1');
    await sleep(500); // past TTL + grace: Redis and memory have both let the entry go
    failing = true;
    await assert.rejects(cache.get('k'), LoaderError);
    server.pause();
    await assert.rejects(cache.get('k', { read: 'fast' }), LoaderError);
  });
});
