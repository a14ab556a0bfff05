import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { TieredCache } from 'tiercache';
import { RedisError, RedisTimeoutError } from 'tiercache/errors';
import { MemoryStore } from 'tiercache/memory';
import { commandCalls, type PrivateRedis, startRedisServer } from '../helpers/redis-server.ts';

const HANG = { timeout: 30_000 };
const TIMEOUT_MS = 1000;

describe('a write has one deadline across its Redis commands, and says whether Redis took it', () => {
  let server: PrivateRedis;
  let client: Redis;
  let admin: Redis;
  before(async () => {
    server = await startRedisServer();
    client = server.client();
    client.on('error', () => {});
    admin = server.client();
    admin.on('error', () => {});
  });
  after(async () => {
    server.resume();
    client.disconnect();
    admin.disconnect();
    await server.kill();
  });

  const opened: Array<TieredCache<string>> = [];
  const stores: MemoryStore[] = [];
  afterEach(async () => {
    server.resume();
    await admin.config('SET', 'maxmemory', '0');
    await Promise.all(opened.splice(0).map((cache) => cache.close()));
    for (const store of stores.splice(0)) store.close();
  });

  const makeCache = (name: string, strict = false) => {
    const store = new MemoryStore({ budget: null });
    stores.push(store);
    const cache = new TieredCache<string>({
      name,
      redis: client,
      memory: store,
      redisTimeoutMs: TIMEOUT_MS,
      breaker: false,
      strict,
    });
    const errors: Error[] = [];
    cache.on('error', (error) => errors.push(error));
    opened.push(cache);
    return { cache, errors, store };
  };

  /** Waits (bounded) until the bus subscriber is up, so the write's PUBLISH is a real command. */
  const subscribed = async (name: string) => {
    for (let i = 0; i < 200; i++) {
      const [, count] = (await admin.pubsub('NUMSUB', `${name}:bus`)) as [string, number];
      if (Number(count) > 0) return;
      await sleep(10);
    }
    throw new Error('the bus never subscribed');
  };

  it('delete() against a frozen Redis: DEL and PUBLISH share one timeout', HANG, async () => {
    const { cache, errors, store } = makeCache('frozen-delete');
    await subscribed('frozen-delete');
    await cache.set('k', 'v');
    const before = await commandCalls(admin);
    server.pause();
    let took: boolean;
    let timeouts: number;
    const t0 = performance.now();
    try {
      took = await cache.tryDelete('k');
      timeouts = errors.filter((error) => error instanceof RedisTimeoutError).length;
    } finally {
      server.resume();
    }
    const elapsed = performance.now() - t0;
    assert.equal(took, false);
    // Two commands each timed would take at least 2 x TIMEOUT_MS; one deadline ends at 1 x.
    assert.ok(elapsed < 1.8 * TIMEOUT_MS, `delete took ${Math.round(elapsed)} ms`);
    // Only DEL timed out while the caller waited: PUBLISH found the deadline spent and was sent
    // detached, without a wait of its own.
    assert.equal(timeouts, 1);
    assert.equal(store.has('frozen-delete:k'), false);
    // The detached PUBLISH still reaches the thawed server (other nodes are told, late).
    for (let i = 0; i < 300; i++) {
      const calls = await commandCalls(admin);
      if ((calls.get('publish') ?? 0) > (before.get('publish') ?? 0)) break;
      await sleep(10);
    }
    const calls = await commandCalls(admin);
    assert.equal((calls.get('publish') ?? 0) - (before.get('publish') ?? 0), 1);
    assert.equal((calls.get('del') ?? 0) - (before.get('del') ?? 0), 1);
  });

  it('strict delete() throws the timeout within the same single deadline', HANG, async () => {
    const { cache } = makeCache('frozen-strict', true);
    await subscribed('frozen-strict');
    await cache.set('k', 'v');
    server.pause();
    const t0 = performance.now();
    try {
      await assert.rejects(cache.delete('k'), RedisTimeoutError);
    } finally {
      server.resume();
    }
    assert.ok(performance.now() - t0 < 1.8 * TIMEOUT_MS);
  });

  it(
    'a write Redis refuses (OOM) is false, and neither tier keeps serving the old value',
    HANG,
    async () => {
      const { cache, errors, store } = makeCache('oom-write');
      const reader = makeCache('oom-write').cache;
      await cache.set('k', 'old');
      assert.equal(await reader.get('k'), 'old');
      await admin.config('SET', 'maxmemory', '1');
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      const took = await cache.trySet('k', 'new');
      await admin.config('SET', 'maxmemory', '0');
      assert.equal(took, false);
      assert.ok(errors.some((error) => error instanceof RedisError));
      assert.equal(store.has('oom-write:k'), false);
      // Redis dropped the old value too: the writer's next read does not return what it replaced.
      assert.equal(await cache.get('k'), undefined);
      assert.equal(await cache.get('k', { read: 'fast' }), undefined);
      // set() keeps its Promise<void>; trySet is true when Redis took the write.
      assert.equal(await cache.set('k', 'newer'), undefined);
      assert.equal(await cache.trySet('k', 'newest'), true);
      assert.equal(await cache.tryDelete('k'), true);
    },
  );

  it('without Redis, try* writes are true', async () => {
    const cache = new TieredCache<string>({ name: 'no-redis', redis: false });
    try {
      assert.equal(await cache.trySet('k', 'v'), true);
      assert.equal(await cache.trySetMany([['a', '1']]), true);
      assert.equal(await cache.tryDeleteMany(['k', 'a']), true);
      assert.equal(await cache.get('k'), undefined);
    } finally {
      await cache.close();
    }
  });
});
