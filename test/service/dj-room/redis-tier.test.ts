import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Redis } from 'ioredis';
import { REDIS_URL, sharedRedis, skipWithoutRedis, uniquePrefix } from '../../helpers/redis.ts';
import { getJson, postJson, startTestApp } from '../helpers/test-app.ts';

const skip = await skipWithoutRedis();
const cacheName = uniquePrefix('rooms');
let app: Awaited<ReturnType<typeof startTestApp>> | undefined;
let redis: Redis | undefined;

before(async () => {
  if (skip) return;
  app = await startTestApp({ redisUrl: REDIS_URL, cacheName });
  redis = sharedRedis();
});

after(async () => {
  if (redis !== undefined) {
    const keys = await redis.keys(`${cacheName}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
  await app?.close();
});

test('with REDIS_URL: single profiles are read Redis first, member lists memory first', {
  skip,
}, async () => {
  const stats = () => app!.service.profiles.cache.stats();
  const join = (rid: string, userId: number) =>
    postJson(`${app!.base}/rooms/${rid}/messages`, { type: 'join', userId });

  assert.equal((await join('r-one', 7)).status, 200);
  assert.equal(stats().loader.keys, 1, 'the first read of user 7 came from SQLite');
  const stored = await redis!.exists(`${cacheName}:user:7`);
  assert.equal(stored, 1, 'the loaded profile was written to Redis under the cache name');

  // A join elsewhere reads the single profile with get(): Redis first, not memory.
  const redisHits = stats().redis.hits;
  assert.equal((await join('r-two', 7)).status, 200);
  assert.equal(stats().redis.hits, redisHits + 1);
  assert.equal(stats().loader.keys, 1, 'SQLite was not asked again');

  // The member list uses getMany: answered from memory.
  const memoryHits = stats().memory.hits;
  const room = await getJson(`${app!.base}/rooms/r-two`);
  assert.deepEqual(
    room.body.members.map((m: { id: number }) => m.id),
    [7],
  );
  assert.ok(stats().memory.hits > memoryHits);
  assert.equal(stats().loader.keys, 1);
});
