import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { MemoryStore, TieredCache } from 'tiercache';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts';

const skip = await skipWithoutRedis();

// The memory tiers here are shared stores on a clock the test moves; Redis keeps real time, and
// each test deletes keys from Redis behind the cache's back so that a read can only answer from
// memory. The rule under test: a memory entry never outlives the Redis entry it copies.
describe('memory never outlives Redis', { skip }, () => {
  let client: Redis;
  before(() => {
    client = sharedRedis();
  });
  after(() => client?.disconnect());

  it("a Redis hit back-filled into memory keeps the Redis entry's remaining lifetime", async () => {
    const name = uniquePrefix('mem-life');
    let now = 0;
    const store = new MemoryStore({ now: () => now });
    const writer = new TieredCache<string>({ name, redis: client, memory: false, bus: false });
    const reader = new TieredCache<string>({ name, redis: client, memory: store, bus: false });
    try {
      await writer.set('k', 'short-lived', { ttlMs: 5000 });
      assert.deepEqual(await reader.getMany(['k']), ['short-lived']); // back-fills memory
      await client.del(`${name}:k`);
      now += 4000;
      assert.deepEqual(await reader.getMany(['k']), ['short-lived'], 'still in memory');
      now += 1000;
      assert.deepEqual(
        await reader.getMany(['k']),
        [undefined],
        'gone with its 5 s Redis lifetime, not kept for memoryTtlMs (60 s)',
      );
    } finally {
      await writer.close();
      await reader.close();
      store.close();
    }
  });

  it('set gives memory the jittered lifetime it gave Redis', async () => {
    const name = uniquePrefix('mem-jitter');
    let now = 0;
    const store = new MemoryStore({ now: () => now });
    const cache = new TieredCache<number>({
      name,
      redis: client,
      memory: store,
      bus: false,
      ttlMs: 10_000,
      ttlJitter: 0.5,
      memoryTtlMs: 0, // as long as Redis keeps it
    });
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    try {
      await cache.setMany(keys.map((key, i) => [key, i]));
      const left = await Promise.all(keys.map((key) => client.pttl(`${name}:${key}`)));
      await client.del(...keys.map((key) => `${name}:${key}`));
      // A key's Redis lifetime is its PTTL plus the few ms since the write: 1 s later by the
      // store's clock, its memory copy must be gone too. Keys in order of lifetime, so the clock
      // only moves forward.
      const order = keys.map((_, i) => i).sort((x, y) => left[x]! - left[y]!);
      let checked = 0;
      for (const i of order) {
        now = left[i]! + 1000;
        if (now >= 10_000) break; // un-jittered keys: nothing to tell apart
        assert.equal(store.has(`${name}:${keys[i]}`), false, `${keys[i]} outlived Redis`);
        checked++;
      }
      assert.ok(checked > 0, 'jitter shortened at least one lifetime by more than 1 s');
    } finally {
      await cache.close();
      store.close();
    }
  });
});
