import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { CircuitOpenError, RedisTimeoutError, TieredCache } from 'tiercache';
import { type PrivateRedis, startRedisServer } from '../helpers/redis-server.ts';

// Every test here has a hard timeout: a read or close() that hangs on a dead Redis fails it.
const HANG = { timeout: 20_000 };

describe('Redis faults', () => {
  let server: PrivateRedis;
  let client: Redis;
  before(async () => {
    server = await startRedisServer();
    // ioredis defaults (offline queue, 20 retries per request): the set-up that hangs other libraries.
    client = server.client();
    client.on('error', () => {});
  });
  after(async () => {
    server.resume();
    client.disconnect();
    await server.kill();
  });

  // Closed after each test even when it fails: an open bus subscriber would keep reconnecting to
  // the killed server and keep the test process alive.
  const opened: TieredCache<string>[] = [];
  afterEach(async () => {
    server.resume();
    await Promise.all(opened.splice(0).map((cache) => cache.close()));
  });

  const makeCache = (
    name: string,
    extra: Partial<ConstructorParameters<typeof TieredCache<string>>[0]> = {},
  ) => {
    const cache = new TieredCache<string>({
      name,
      redis: client,
      redisTimeoutMs: 200,
      load: (keys) => keys.map((key) => `loaded:${key}`),
      ...extra,
    });
    const errors: Error[] = [];
    cache.on('error', (error) => errors.push(error));
    opened.push(cache);
    return { cache, errors };
  };

  it(
    'answers from the loader while the server is frozen (SIGSTOP), then recovers',
    HANG,
    async () => {
      const { cache, errors } = makeCache('sigstop', { breaker: false });
      await cache.set('k', 'from-redis');
      server.pause();
      try {
        assert.equal(await cache.get('k'), 'loaded:k');
        assert.deepEqual(await cache.getMany(['a', 'b'], { read: 'fresh' }), [
          'loaded:a',
          'loaded:b',
        ]);
        await cache.set('w', 'x'); // a write does not throw by default
        assert.ok(errors.some((error) => error instanceof RedisTimeoutError));
        assert.ok(cache.stats().redis.errors >= 3);
      } finally {
        server.resume();
      }
      // The frozen commands are answered once the server thaws; new reads hit Redis again.
      await cache.set('k2', 'from-redis');
      assert.equal(await cache.get('k2'), 'from-redis');
      await cache.close();
    },
  );

  it(
    "close() is prompt while the server is frozen, and leaves the caller's client open",
    HANG,
    async () => {
      const { cache } = makeCache('close-frozen');
      await cache.set('k', 'v');
      server.pause();
      try {
        const reading = cache.get('other');
        await cache.close();
        // A read in flight at close() settles instead of waiting for the frozen server.
        await assert.rejects(reading).catch(() => {});
        await reading.catch(() => {});
      } finally {
        server.resume();
      }
      assert.equal(await client.ping(), 'PONG');
    },
  );

  it(
    'CLIENT PAUSE: reads fall through to the loader; strict writes throw, default writes do not',
    HANG,
    async () => {
      const { cache } = makeCache('client-pause', { breaker: false });
      const strict = makeCache('client-pause', { breaker: false, strict: true }).cache;
      const admin = server.client();
      await admin.client('PAUSE', 1500, 'ALL');
      try {
        assert.equal(await cache.get('k'), 'loaded:k');
        await cache.set('k', 'v');
        await assert.rejects(strict.set('k', 'v'), RedisTimeoutError);
      } finally {
        await admin.client('UNPAUSE');
        admin.disconnect();
      }
      await strict.set('k', 'after');
      assert.equal(await cache.get('k'), 'after');
      await cache.close();
      await strict.close();
    },
  );

  it(
    'opens the breaker after repeated failures, skips Redis, and closes it after the cool-down',
    HANG,
    async () => {
      let now = 0;
      const { cache } = makeCache('breaker', {
        breaker: { failureThreshold: 3, coolDownMs: 1000 },
        now: () => now,
      });
      server.pause();
      try {
        for (let i = 0; i < 3; i++) assert.equal(await cache.get(`k${i}`), `loaded:k${i}`);
        assert.equal(cache.stats().breaker, 'open');
        const errorsWhenOpened = cache.stats().redis.errors;
        // While open, reads go straight to the loader: no new Redis error, only skips.
        assert.equal(await cache.get('skipped'), 'loaded:skipped');
        assert.equal(cache.stats().redis.errors, errorsWhenOpened);
        assert.ok(cache.stats().redis.skipped >= 1);
        now += 1000;
        assert.equal(cache.stats().breaker, 'half-open');
        // The half-open probe fails while the server is still frozen: open again.
        assert.equal(await cache.get('probe'), 'loaded:probe');
        assert.equal(cache.stats().breaker, 'open');
      } finally {
        server.resume();
      }
      now += 1000;
      await client.ping();
      await cache.get('probe2');
      assert.equal(cache.stats().breaker, 'closed');
      await cache.close();
    },
  );

  it(
    'strict writes throw the timeout, then CircuitOpenError while the breaker is open',
    HANG,
    async () => {
      const { cache } = makeCache('strict-breaker', {
        strict: true,
        breaker: { failureThreshold: 1, coolDownMs: 60_000 },
      });
      server.pause();
      try {
        await assert.rejects(cache.set('k', 'v'), RedisTimeoutError);
        await assert.rejects(cache.set('k', 'v'), CircuitOpenError);
        await assert.rejects(cache.delete('k'), CircuitOpenError);
        assert.equal(await cache.get('k'), 'loaded:k', 'reads still answer from the loader');
      } finally {
        server.resume();
      }
    },
  );

  it(
    'answers from the loader while the server is stopped, and reads Redis again after a restart',
    HANG,
    async () => {
      const { cache, errors } = makeCache('restart', { breaker: false, memory: false });
      await server.stop();
      try {
        assert.equal(await cache.get('k'), 'loaded:k');
        assert.deepEqual(await cache.getMany(['a', 'a']), ['loaded:a', 'loaded:a']);
        await cache.delete('k');
        assert.ok(errors.length >= 2);
      } finally {
        await server.restart();
      }
      // ioredis reconnects with back-off; poll until a write lands and reads come from Redis.
      for (;;) {
        await cache.set('back', 'from-redis');
        if ((await cache.get('back')) === 'from-redis') break;
        await sleep(100);
      }
      assert.ok(cache.stats().redis.hits >= 1);
      await cache.close();
    },
  );
});
