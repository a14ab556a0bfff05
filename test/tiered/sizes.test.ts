import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { TieredCache, ValueTooLargeError } from 'tiercache';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts';

// A value that fits Redis but not the memory tier: Redis keeps it, memory says so out loud.
const skip = await skipWithoutRedis();
describe('a value too large for the memory tier only', { skip }, () => {
  let client: Redis;
  before(() => {
    client = sharedRedis();
  });
  after(() => client.disconnect());

  const medium = 'm'.repeat(100_000); // over maxEntryBytes (64 KiB), under maxValueBytes (16 MiB)

  it('is written to Redis and left out of memory with an error event', async () => {
    const cache = new TieredCache<string>({
      name: uniquePrefix('sizes'),
      redis: client,
      memory: { maxEntryBytes: 65_536 },
      bus: false,
    });
    const errors: ValueTooLargeError[] = [];
    cache.on('error', (error) => errors.push(error as ValueTooLargeError));
    try {
      await cache.set('k', 'small');
      await cache.set('k', medium);
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof ValueTooLargeError);
      assert.equal(errors[0].option, 'memory.maxEntryBytes');
      assert.equal(errors[0].key, 'k');
      assert.ok(errors[0].bytes > 65_536);
      assert.equal(await cache.get('k', { read: 'fast' }), medium, 'not the older small value');
      assert.equal(cache.stats().memory.hits, 0, 'memory did not answer');
      assert.ok(cache.stats().tooLarge >= 2, 'the set, then the back-fill of the Redis hit');
      // A loaded value of that size: returned, in Redis, not in memory, reported.
      const loaded = await cache.getOrSet('loaded', () => medium);
      assert.equal(loaded, medium);
      assert.equal(await cache.has('loaded'), true);
    } finally {
      await cache.close();
    }
  });

  it('is refused with ValueTooLargeError by a strict cache, and nothing is written', async () => {
    const cache = new TieredCache<string>({
      name: uniquePrefix('sizes-strict'),
      redis: client,
      memory: { maxEntryBytes: 65_536 },
      strict: true,
      bus: false,
    });
    try {
      await cache.set('k', 'small');
      await assert.rejects(cache.set('k', medium), (error: ValueTooLargeError) => {
        assert.equal(error.code, 'TIERCACHE_VALUE_TOO_LARGE');
        assert.equal(error.option, 'memory.maxEntryBytes');
        assert.match(error.message, /raise memory\.maxEntryBytes/);
        return true;
      });
      assert.equal(await cache.get('k'), 'small');
      assert.equal(await cache.get('k', { read: 'fast' }), 'small');
    } finally {
      await cache.close();
    }
  });
});
