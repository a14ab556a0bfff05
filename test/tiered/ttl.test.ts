import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { TieredCache } from 'tiercache';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts';

const skip = await skipWithoutRedis();
let client: Redis;
before(() => {
  if (!skip) client = sharedRedis();
});
after(() => client?.disconnect());

it('writes Redis lifetimes within [ttl × (1 − jitter), ttl], per cache and per call', {
  skip,
}, async () => {
  const name = uniquePrefix('ttl');
  const cache = new TieredCache<number>({ name, redis: client, ttlMs: 100_000, ttlJitter: 0.2 });
  try {
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    await cache.setMany(keys.map((key, i) => [key, i]));
    const ttls = await Promise.all(keys.map((key) => client.pttl(`${name}:${key}`)));
    assert.ok(
      ttls.every((ttl) => ttl > 79_000 && ttl <= 100_000),
      String(ttls),
    );
    assert.ok(new Set(ttls.map((ttl) => Math.round(ttl / 1000))).size > 1, 'jitter spreads them');
    await cache.set('forever', 1, { ttlMs: 0 });
    assert.equal(await client.pttl(`${name}:forever`), -1);
  } finally {
    await cache.close();
    await client.del(...Array.from({ length: 50 }, (_, i) => `${name}:k${i}`), `${name}:forever`);
  }
});

it('forgets a negative entry after negativeTtlMs', async () => {
  let calls = 0;
  const cache = new TieredCache<string>({
    name: uniquePrefix('neg-ttl'),
    redis: false,
    negativeTtlMs: 30,
    ttlJitter: 0,
    load: () => {
      calls++;
      return new Map<string, string>();
    },
  });
  try {
    assert.equal(await cache.get('ghost'), undefined);
    assert.equal(await cache.get('ghost'), undefined);
    assert.equal(calls, 1);
    await sleep(80);
    assert.equal(await cache.get('ghost'), undefined);
    assert.equal(calls, 2, 'the marker expired, so the loader is asked again');
  } finally {
    await cache.close();
  }
});
