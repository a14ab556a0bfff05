import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { TieredCache } from 'tiercache';
import { CircuitOpenError, RedisError, RedisTimeoutError } from 'tiercache/errors';
import { MemoryStore } from 'tiercache/memory';
import { commandCalls, type PrivateRedis, startRedisServer } from '../helpers/redis-server.ts';

const HANG = { timeout: 60_000 };
const TIMEOUT_MS = 1000;

type Write = 'delete' | 'set' | 'tryDelete' | 'trySet' | 'clear';
/** Each write, and the first Redis command of it, the one that times out. */
const WRITES: ReadonlyArray<readonly [Write, string]> = [
  ['delete', 'DEL'],
  ['set', 'SET'],
  ['tryDelete', 'DEL'],
  ['trySet', 'SET'],
  ['clear', 'SCAN'],
];

/** One write of `key`; resolves whether Redis took it when the method says so. */
function write(cache: TieredCache<string>, op: Write, key: string): Promise<boolean | undefined> {
  switch (op) {
    case 'delete':
      return cache.delete(key).then(() => undefined);
    case 'set':
      return cache.set(key, 'new').then(() => undefined);
    case 'tryDelete':
      return cache.tryDelete(key);
    case 'trySet':
      return cache.trySet(key, 'new');
    case 'clear':
      return cache.clear().then(() => undefined);
  }
}

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
    await admin.flushall();
    await Promise.all(opened.splice(0).map((cache) => cache.close()));
    for (const store of stores.splice(0)) store.close();
  });

  const makeCache = (
    name: string,
    options: {
      strict?: boolean;
      timeoutMs?: number;
      graceMs?: number;
      breaker?: { failureThreshold: number; coolDownMs: number };
    } = {},
  ) => {
    const store = new MemoryStore({ budget: null });
    stores.push(store);
    const cache = new TieredCache<string>({
      name,
      redis: client,
      memory: store,
      redisTimeoutMs: options.timeoutMs ?? TIMEOUT_MS,
      breaker: options.breaker ?? false,
      strict: options.strict ?? false,
      graceMs: options.graceMs ?? 0,
    });
    const errors: Error[] = [];
    cache.on('error', (error) => errors.push(error));
    opened.push(cache);
    return { cache, errors, store };
  };

  /** Waits (bounded) until `count` bus subscribers are up, so a write's PUBLISH is a real command. */
  const subscribed = async (name: string, count = 1) => {
    for (let i = 0; i < 300; i++) {
      const [, n] = (await admin.pubsub('NUMSUB', `${name}:bus`)) as [string, number];
      if (Number(n) >= count) return;
      await sleep(10);
    }
    throw new Error('the bus never subscribed');
  };

  /** Waits (bounded) until the thawed server has answered a command sent after the freeze. */
  const thawed = async () => {
    server.resume();
    for (let i = 0; i < 300; i++) {
      if ((await client.ping().catch(() => null)) === 'PONG') return;
      await sleep(10);
    }
    throw new Error('Redis did not answer after SIGCONT');
  };

  /** Waits (bounded) until `cache` has received `count` bus messages in all. */
  const heard = async (cache: TieredCache<string>, count: number) => {
    for (let i = 0; i < 300 && cache.stats().bus.received < count; i++) await sleep(10);
    assert.equal(cache.stats().bus.received, count);
  };

  /** Redis-side errors, by command: "DEL", "SET", "PUBLISH", ... */
  const byCommand = (errors: readonly Error[]) =>
    errors.map((error) => /^Redis (\S+)/.exec(error.message)?.[1] ?? error.name).sort();

  for (const [op, first] of WRITES) {
    it(`${op}() against a frozen Redis answers within one redisTimeoutMs`, HANG, async () => {
      const name = `frozen-${op}`;
      const { cache, errors, store } = makeCache(name);
      await subscribed(name);
      await cache.set('k', 'old');
      server.pause();
      let elapsed: number;
      let reference: number;
      let took: boolean | undefined;
      try {
        // A timer of redisTimeoutMs started with the call measures the scheduling delay of this
        // machine right now; two timed commands in series would need a second full timeout.
        const t0 = performance.now();
        const timer = sleep(TIMEOUT_MS).then(() => performance.now() - t0);
        took = await write(cache, op, 'k');
        elapsed = performance.now() - t0;
        reference = await timer;
      } finally {
        server.resume();
      }
      assert.ok(
        elapsed < reference + TIMEOUT_MS / 2,
        `${op} took ${Math.round(elapsed)} ms; a ${TIMEOUT_MS} ms timer took ${Math.round(reference)} ms`,
      );
      if (op === 'trySet' || op === 'tryDelete') assert.equal(took, false);
      // Only the first command timed out while the caller waited: the rest of the operation found
      // the deadline spent and was sent detached, without a wait or a report of its own.
      assert.deepEqual(byCommand(errors), [first]);
      assert.equal(store.has(`${name}:k`), false);
    });
  }

  it(
    'the detached PUBLISH reaches the thawed server: other nodes are told, late',
    HANG,
    async () => {
      const { cache } = makeCache('late-bus');
      const other = makeCache('late-bus');
      await subscribed('late-bus', 2);
      await cache.set('k', 'old');
      await heard(other.cache, 1);
      assert.equal(await other.cache.get('k'), 'old');
      assert.equal(other.store.has('late-bus:k'), true);
      const before = await commandCalls(admin);
      server.pause();
      try {
        assert.equal(await cache.tryDelete('k'), false);
      } finally {
        await thawed();
      }
      // Bounded wait, counted in bus messages, not time.
      await heard(other.cache, 2);
      assert.equal(other.store.has('late-bus:k'), false);
      const calls = await commandCalls(admin);
      assert.equal((calls.get('publish') ?? 0) - (before.get('publish') ?? 0), 1);
      assert.equal((calls.get('del') ?? 0) - (before.get('del') ?? 0), 1);
      assert.equal(await other.cache.get('k'), undefined);
    },
  );

  it(
    'a failed write is one error event, even when Redis stays frozen past the detached PUBLISH',
    HANG,
    async () => {
      const timeoutMs = 300;
      const { cache, errors } = makeCache('one-event', { timeoutMs });
      await subscribed('one-event');
      await cache.set('a', 'old');
      await cache.set('b', 'old');
      server.pause();
      try {
        assert.equal(await cache.tryDelete('a'), false);
        assert.equal(await cache.trySet('b', 'new'), false);
        await cache.clear();
        // Progress, not time: a GET sent after the writes times out after their detached
        // commands did (same timeout, started later), so those have failed by the time it answers.
        assert.equal(await cache.get('c'), undefined);
      } finally {
        server.resume();
      }
      assert.deepEqual(byCommand(errors), ['DEL', 'GET', 'SCAN', 'SET']);
      assert.equal(cache.stats().redis.errors, 4);
    },
  );

  it('a write the open breaker skips is one error event, and false', HANG, async () => {
    const { cache, errors, store } = makeCache('breaker-open', {
      timeoutMs: 300,
      breaker: { failureThreshold: 1, coolDownMs: 600_000 },
    });
    await subscribed('breaker-open');
    await cache.set('a', 'old');
    await cache.set('b', 'old');
    server.pause();
    try {
      // The first failure opens the breaker; the next writes are skipped, bus message included.
      assert.equal(await cache.tryDelete('a'), false);
      assert.equal(await cache.trySet('b', 'new'), false);
      assert.equal(await cache.tryDelete('b'), false);
    } finally {
      server.resume();
    }
    assert.deepEqual(
      errors.map((error) => error.constructor),
      [RedisTimeoutError, CircuitOpenError, CircuitOpenError],
    );
    assert.equal(store.has('breaker-open:a'), false);
    assert.equal(store.has('breaker-open:b'), false);
  });

  it(
    'a strict write throws once, within the deadline, and still tells other nodes',
    HANG,
    async () => {
      const { cache, errors } = makeCache('strict-frozen', { strict: true });
      const other = makeCache('strict-frozen');
      await subscribed('strict-frozen', 2);
      await cache.set('k', 'old');
      await heard(other.cache, 1);
      assert.equal(await other.cache.get('k'), 'old');
      server.pause();
      try {
        const t0 = performance.now();
        const timer = sleep(TIMEOUT_MS).then(() => performance.now() - t0);
        await assert.rejects(cache.delete('k'), RedisTimeoutError);
        const elapsed = performance.now() - t0;
        assert.ok(
          elapsed < (await timer) + TIMEOUT_MS / 2,
          `delete took ${Math.round(elapsed)} ms`,
        );
        // The try variants never throw for Redis, strict or not.
        assert.equal(await cache.trySet('k', 'new'), false);
      } finally {
        await thawed();
      }
      assert.deepEqual(byCommand(errors), ['DEL', 'SET']);
      await heard(other.cache, 3);
      assert.equal(other.store.has('strict-frozen:k'), false);
    },
  );

  for (const op of ['set', 'delete'] as const) {
    it(
      `after a timed-out ${op}, the writer never reads back the old value (grace on)`,
      HANG,
      async () => {
        const name = `timed-out-${op}`;
        // graceMs: a read whose Redis fails serves the last value memory holds, so memory keeping
        // the old value would show here.
        const { cache, store } = makeCache(name, { timeoutMs: 300, graceMs: 60_000 });
        await subscribed(name);
        await cache.set('k', 'old');
        assert.equal(await cache.get('k', { read: 'fast' }), 'old');
        server.pause();
        try {
          const took = op === 'set' ? await cache.trySet('k', 'new') : await cache.tryDelete('k');
          assert.equal(took, false);
          assert.equal(store.has(`${name}:k`), false);
          assert.equal(await cache.get('k'), undefined);
          assert.equal(await cache.get('k', { read: 'fast' }), undefined);
        } finally {
          await thawed();
        }
        // The timed-out command reached Redis once it thawed: the new state, never the old value.
        assert.equal(await cache.get('k'), op === 'set' ? 'new' : undefined);
      },
    );
  }

  it(
    'a write Redis refuses (OOM) is false, one error event, and no tier keeps the old value',
    HANG,
    async () => {
      const { cache, errors, store } = makeCache('oom-write');
      const reader = makeCache('oom-write');
      await subscribed('oom-write', 2);
      await cache.set('k', 'old');
      await cache.set('d', 'old');
      await heard(reader.cache, 2);
      assert.equal(await reader.cache.get('k'), 'old');
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'maxmemory', '1');
      let took: boolean;
      let deleted: boolean;
      try {
        took = await cache.trySet('k', 'new');
        // DEL is allowed under maxmemory: a delete still goes through.
        deleted = await cache.tryDelete('d');
      } finally {
        await admin.config('SET', 'maxmemory', '0');
      }
      assert.equal(took, false);
      assert.equal(deleted, true);
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof RedisError);
      assert.match(errors[0]!.message, /OOM/);
      assert.equal(store.has('oom-write:k'), false);
      // Redis dropped the old value too: the writer's next read does not return what it replaced.
      assert.equal(await cache.get('k'), undefined);
      assert.equal(await cache.get('k', { read: 'fast' }), undefined);
      assert.equal(await cache.get('d'), undefined);
      // The other node was told.
      await heard(reader.cache, 4);
      assert.equal(reader.store.has('oom-write:k'), false);
      // set() keeps its Promise<void>; trySet is true when Redis took the write.
      assert.equal(await cache.set('k', 'newer'), undefined);
      assert.equal(await cache.trySet('k', 'newest'), true);
      assert.equal(await cache.tryDelete('k'), true);
    },
  );

  it(
    'a strict set that Redis refuses (OOM) throws once and leaves no old value',
    HANG,
    async () => {
      const { cache, errors, store } = makeCache('oom-strict', { strict: true });
      await cache.set('k', 'old');
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'maxmemory', '1');
      try {
        await assert.rejects(cache.set('k', 'new'), RedisError);
      } finally {
        await admin.config('SET', 'maxmemory', '0');
      }
      assert.equal(errors.length, 1);
      assert.equal(store.has('oom-strict:k'), false);
      assert.equal(await cache.get('k'), undefined);
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
