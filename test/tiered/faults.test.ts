import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import {
  CacheClosedError,
  CircuitOpenError,
  RedisTimeoutError,
  TieredCache,
  TieredChannels,
} from 'tiercache';
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
        // A read in flight at close() settles at once instead of waiting for the frozen server,
        // and as a rejection: resolving `undefined` would tell the caller the key is missing.
        await assert.rejects(reading, CacheClosedError);
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

  it('a reply to a command sent before the breaker opened does not close it', HANG, async () => {
    const { cache } = makeCache('stale-reply', {
      redisTimeoutMs: 2000,
      breaker: { failureThreshold: 1, coolDownMs: 60_000 },
      now: () => 0,
    });
    server.pause();
    let late: Promise<string | undefined>;
    try {
      const first = cache.get('first');
      await sleep(1000);
      // Sent while the breaker is closed; still waiting when the first read's timeout opens it.
      late = cache.get('late');
      assert.equal(await first, 'loaded:first');
      assert.equal(cache.stats().breaker, 'open');
    } finally {
      server.resume();
    }
    // The thawed server answers the late GET well within its timeout: a stale success.
    assert.equal(await late, 'loaded:late');
    assert.equal(cache.stats().breaker, 'open');
  });

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
    'reports writes the open breaker skipped, and a skipped set leaves memory without the value',
    HANG,
    async () => {
      const { cache, errors } = makeCache('skipped-writes', {
        breaker: { failureThreshold: 1, coolDownMs: 60_000 },
        now: () => 0,
      });
      const published: unknown[] = [];
      const onMessage = (message: unknown) => published.push(message);
      subscribe(TieredChannels.redisError, onMessage);
      try {
        await cache.set('k', 'v1');
        server.pause();
        try {
          assert.equal(await cache.get('x'), 'loaded:x'); // times out: the breaker opens
        } finally {
          server.resume();
        }
        assert.equal(cache.stats().breaker, 'open');
        const before = errors.length;
        await cache.set('k', 'v2');
        await cache.delete('gone');
        const skipped = errors.slice(before);
        assert.ok(skipped.length >= 2, `one report per skipped write, got ${skipped.length}`);
        assert.ok(skipped.every((error) => error instanceof CircuitOpenError));
        assert.ok(
          published.some(
            (message) => (message as { error: unknown }).error instanceof CircuitOpenError,
          ),
        );
        // Redis never got v2: memory must not serve it (nor the older v1) as if it had.
        assert.equal(await cache.get('k', { read: 'fast' }), 'loaded:k');
      } finally {
        unsubscribe(TieredChannels.redisError, onMessage);
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
