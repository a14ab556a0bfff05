import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { TieredCache } from 'tiercache';
import { InvalidOptionError, InvalidOptionTypeError } from 'tiercache/errors';
import { MemoryStore } from 'tiercache/memory';
import { hashString } from '../../src/memory/hash.ts';
import { HotSet, NOT_HOT } from '../../src/tiered/hot-set.ts';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts';

const skip = await skipWithoutRedis();
/** Expiry callback of an entry that never expires; check callback of a store that holds it. */
const never = () => 0;
const always = () => true;

describe('HotSet', () => {
  it('admits a key on its second read, answers it decoded, and stays within its bounds', () => {
    const hot = new HotSet<object>({ maxEntries: 3, maxBytes: 1000 });
    const value = { a: 1 };
    hot.offer('k', value, 10, 0, never);
    assert.equal(hot.get('k', 0, always), NOT_HOT);
    hot.offer('k', value, 10, 0, never);
    assert.equal(hot.get('k', 0, always), value);
    for (let i = 0; i < 50; i++) for (let r = 0; r < 4; r++) hot.offer(`x${i}`, {}, 10, 0, never);
    assert.ok(hot.size <= 3);
    const big = new HotSet<string>({ maxEntries: 100, maxBytes: 100 });
    for (let i = 0; i < 50; i++) for (let r = 0; r < 3; r++) big.offer(`y${i}`, 'v', 30, 0, never);
    assert.ok(big.bytes <= 100 && big.size <= 3);
  });

  it('after the byte tier removed anything, a member answers only once the tier confirms it', () => {
    const hot = new HotSet<string>();
    hot.offer('k', 'v', 1, 5, never);
    hot.offer('k', 'v', 1, 5, never);
    let checks = 0;
    const gone = () => {
      checks++;
      return false;
    };
    assert.equal(hot.get('k', 5, gone), 'v'); // nothing removed since: no look-up
    assert.equal(checks, 0);
    assert.equal(hot.get('k', 6, gone), NOT_HOT); // something was removed: looked up, gone
    assert.equal(checks, 1);
    assert.equal(hot.size, 0);
    hot.offer('k', 'w', 1, 6, never);
    assert.equal(hot.get('k', 7, always), 'w');
    assert.equal(hot.get('k', 7, gone), 'w'); // confirmed at 7 already
  });

  it('a hit counts as a read: a member read often outweighs a key read a few times', () => {
    // Every read counted (sampleShift 0): the counts below are exact, full set or not.
    const hot = new HotSet<string>({ maxEntries: 1 }, Date.now, 0);
    // A key whose two counters (of 64, for one entry: the hash's low six bits and bits 24-29)
    // are neither of a's: the hash is seeded per process.
    const counters = (key: string) => [hashString(key) & 63, (hashString(key) >>> 24) & 63];
    const shares = (x: string, y: string) => counters(x).some((c) => counters(y).includes(c));
    let b = 'b0';
    for (let i = 1; shares(b, 'a'); i++) b = `b${i}`;
    hot.offer('a', 'A', 1, 0, never);
    hot.offer('a', 'A', 1, 0, never); // admitted, counter 2
    for (let i = 0; i < 3; i++) assert.equal(hot.get('a', 0, always), 'A'); // counter 5
    for (let i = 0; i < 3; i++) hot.offer(b, 'B', 1, 0, never); // counter 3: not enough
    assert.equal(hot.get('a', 0, always), 'A'); // counter 6
    assert.equal(hot.get(b, 0, always), NOT_HOT);
    for (let i = 0; i < 4; i++) hot.offer(b, 'B', 1, 0, never); // counter 7 > 6: replaces it
    assert.equal(hot.get(b, 0, always), 'B');
    assert.equal(hot.get('a', 0, always), NOT_HOT);
  });

  it('a key read once is not admitted, even when keys read often share its sketch counters', () => {
    // 1000 members: 8192 counters, a hash's two counters from its low 13 bits and bits 24-29.
    const hot = new HotSet<string>({ maxEntries: 1000 });
    const a = 12345;
    const b = a + 8192; // the same two counters as a, another doorkeeper bit
    for (let i = 0; i < 5; i++) hot.offer('a', 'A', 1, 0, never, a);
    assert.equal(hot.get('a', 0, always), 'A');
    hot.offer('b', 'B', 1, 0, never, b);
    assert.equal(hot.get('b', 0, always), NOT_HOT); // its first read only sets its doorkeeper bit
    hot.offer('b', 'B', 1, 0, never, b);
    assert.equal(hot.get('b', 0, always), 'B'); // the second reaches a's raised counters
  });

  it('the doorkeeper is cleared with the counters: on clear() and when they are halved', () => {
    // 4 members: 64 counters, halved (and the doorkeeper cleared) every 32 reads offered.
    const hot = new HotSet<string>({ maxEntries: 4 });
    hot.offer('k', 'v', 1, 0, never, 7);
    hot.clear();
    hot.offer('k', 'v', 1, 0, never, 7);
    assert.equal(hot.get('k', 0, always), NOT_HOT); // the read before clear() is forgotten
    hot.clear();
    hot.offer('k', 'v', 1, 0, never, 7);
    for (let i = 1; i < 32; i++) hot.offer(`x${i}`, 'x', 1, 0, never, 7 + 64 * i);
    hot.delete('k');
    for (let i = 1; i < 32; i++) hot.delete(`x${i}`);
    hot.offer('k', 'v', 1, 0, never, 7);
    assert.equal(hot.get('k', 0, always), NOT_HOT); // the 32nd read aged the counters: forgotten
    hot.offer('k', 'v', 1, 0, never, 7);
    assert.equal(hot.get('k', 0, always), 'v');
  });

  it('a full set counts a sample of the other reads: hot keys still get in, a scan stays out', () => {
    // 100 members for a Zipf(1) law over 5,000 keys: the 100 hottest take ~56 % of the reads.
    const keys = Array.from({ length: 5000 }, (_, i) => `z${i}`);
    const cdf: number[] = [];
    let sum = 0;
    for (let i = 0; i < keys.length; i++) {
      sum += 1 / (i + 1);
      cdf.push(sum);
    }
    let seed = 99;
    const draw = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const target = (seed / 2 ** 32) * sum;
      let lo = 0;
      let hi = keys.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid]! < target) lo = mid + 1;
        else hi = mid;
      }
      return keys[lo]!;
    };
    const trace = Array.from({ length: 200_000 }, draw);
    /** Reads `trace` as the memory tier does; answers the share of reads members answered. */
    const replay = (hot: HotSet<number>, reads: readonly string[]) => {
      let hits = 0;
      for (const key of reads) {
        if (hot.get(key, 0, always) !== NOT_HOT) hits++;
        else hot.offer(key, 1, 1, 0, never);
      }
      return hits / reads.length;
    };
    const sampled = new HotSet<number>({ maxEntries: 100 });
    const exact = new HotSet<number>({ maxEntries: 100 }, Date.now, 0);
    replay(sampled, trace);
    replay(exact, trace);
    const share = replay(sampled, trace);
    const exactShare = replay(exact, trace);
    assert.equal(sampled.size, 100);
    // As good as counting every read, within a point, and most of the law's best (the top 100).
    const best = cdf[99]! / sum;
    assert.ok(share > exactShare - 0.01, `sampled ${share}, every read counted ${exactShare}`);
    assert.ok(share > 0.9 * best, `${share} of at most ${best}`);
    // The fewer reads counted, the fewer admissions (replacements of one lukewarm key by another).
    assert.ok(sampled.admitted < exact.admitted);
    // A scan (2,000 new keys, 20 times the set, each read once) admits next to none of them
    // (under 1 %), and the share members answer afterwards is the same within 2 points.
    const admitted = sampled.admitted;
    replay(
      sampled,
      Array.from({ length: 2000 }, (_, i) => `scan${i}`),
    );
    assert.ok(sampled.admitted - admitted < 20, `${sampled.admitted - admitted} admitted`);
    assert.ok(replay(sampled, trace.slice(0, 20_000)) > share - 0.02);
  });

  it('a full set still admits a key read often enough (20 keys, each read up to 60 times)', () => {
    for (let round = 0; round < 20; round++) {
      const hot = new HotSet<string>({ maxEntries: 4 });
      for (const key of ['a', 'b', 'c', 'd'])
        for (let r = 0; r < 2; r++) hot.offer(key, key, 1, 0, never);
      assert.equal(hot.size, 4);
      // Members read twice; a newcomer read 60 times (about 30 counted) outweighs the hand's member.
      for (let i = 0; i < 60 && hot.get(`n${round}`, 0, always) === NOT_HOT; i++) {
        hot.offer(`n${round}`, 'n', 1, 0, never);
      }
      assert.equal(hot.get(`n${round}`, 0, always), 'n');
      assert.equal(hot.size, 4);
    }
  });

  it('resolved() shares one settled promise per member, and misses like get()', async () => {
    const hot = new HotSet<string>();
    assert.equal(hot.resolved('k', 0, always), undefined);
    hot.offer('k', 'v', 1, 0, never);
    hot.offer('k', 'v', 1, 0, never);
    const first = hot.resolved('k', 0, always);
    assert.ok(first instanceof Promise);
    assert.equal(hot.resolved('k', 0, always), first);
    assert.equal(await first, 'v');
    assert.equal(
      hot.resolved('k', 1, () => false),
      undefined,
    ); // gone from the byte tier
    assert.equal(hot.size, 0);
    assert.equal(hot.hits, 2);
  });

  it('a member past its expiry is not answered', () => {
    const hot = new HotSet<string>();
    hot.offer('k', 'v', 1, 0, () => Date.now() - 1);
    hot.offer('k', 'v', 1, 0, () => Date.now() - 1);
    assert.equal(hot.get('k', 0, always), NOT_HOT);
    assert.equal(hot.size, 0);
  });

  it('agrees with a Map model: a member is always the last value offered, bounds hold', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom('offer', 'offer', 'offer', 'delete', 'clear'),
            fc.integer({ min: 0, max: 20 }),
            fc.integer({ min: 1, max: 40 }),
          ),
          { maxLength: 300 },
        ),
        (ops) => {
          const hot = new HotSet<string>({ maxEntries: 5, maxBytes: 100 });
          const model = new Map<string, string>();
          let version = 0;
          for (const [op, n, bytes] of ops) {
            const key = `k${n}`;
            if (op === 'offer') {
              const value = `${key}@${version++}`;
              // The tier drops a key before offering a new value for it (see MemoryTier).
              hot.delete(key);
              model.set(key, value);
              hot.offer(key, value, bytes, 0, never);
            } else if (op === 'delete') {
              hot.delete(key);
              model.delete(key);
            } else {
              hot.clear();
              model.clear();
            }
            assert.ok(hot.size <= 5 && hot.bytes <= 100);
            for (let i = 0; i <= 20; i++) {
              const got = hot.get(`k${i}`, 0, always);
              if (got !== NOT_HOT) assert.equal(got, model.get(`k${i}`));
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
  it('finds every member and only members, through admissions, replacements and deletes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 150 })), {
          minLength: 300,
          maxLength: 1500,
        }),
        (ops) => {
          // 40 members for 151 keys read in random order: many admissions and replacements.
          const hot = new HotSet<number>({ maxEntries: 40, maxBytes: 1_000_000 });
          const model = new Map<string, number>();
          for (const [op, n] of ops) {
            const key = `k${n}`;
            if (op < 7) {
              if (hot.get(key, 0, always) === NOT_HOT) hot.offer(key, n, 1, 0, never);
            } else {
              hot.delete(key);
            }
            // The model: what the hot set says it holds, checked key by key below.
            model.clear();
            for (let i = 0; i <= 150; i++) {
              const got = hot.get(`k${i}`, 0, always);
              if (got !== NOT_HOT) {
                assert.equal(got, i);
                model.set(`k${i}`, i);
              }
            }
            assert.equal(model.size, hot.size);
            assert.ok(hot.size <= 40);
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('TieredCache hotSet', { skip }, () => {
  let client: Redis;
  before(() => {
    client = sharedRedis();
  });
  after(() => client?.disconnect());

  const json = (i: number) => ({ id: i, name: `n${i}` });

  it('answers hot keys decoded, counts them, and drops them on set, delete and clear', async () => {
    const name = uniquePrefix('hot-set');
    const cache = new TieredCache<unknown>({
      name,
      redis: client,
      bus: false, // a subscription landing mid-test would clear memory (and the hot set)
      hotSet: { maxEntries: 10 },
    });
    try {
      await cache.set('k', json(1));
      const first = await cache.get('k', { read: 'fast' });
      const second = await cache.get('k', { read: 'fast' });
      const third = await cache.get('k', { read: 'fast' });
      assert.deepEqual(first, json(1));
      assert.notEqual(first, second); // decoded from bytes, then admitted
      assert.equal(second, third); // the hot set's own object
      let stats = cache.stats();
      assert.equal(stats.hotSet.entries, 1);
      assert.equal(stats.hotSet.hits, 1);
      assert.equal(stats.memory.hits, 3);
      assert.ok(stats.hotSet.bytes > 0);
      await cache.set('k', json(2));
      assert.equal(cache.stats().hotSet.entries, 0);
      assert.deepEqual(await cache.get('k', { read: 'fast' }), json(2));
      await cache.get('k', { read: 'fast' });
      await cache.delete('k');
      assert.equal(await cache.get('k', { read: 'fast' }), undefined);
      for (let r = 0; r < 3; r++) await cache.getMany(['a', 'b'], { read: 'fast' });
      await cache.set('a', json(3));
      for (let r = 0; r < 3; r++) await cache.get('a', { read: 'fast' });
      assert.equal(cache.stats().hotSet.entries, 1);
      await cache.clear();
      stats = cache.stats();
      assert.equal(stats.hotSet.entries, 0);
      assert.equal(await cache.get('a', { read: 'fast' }), undefined);
    } finally {
      await cache.close();
    }
  });

  it("another node's write reaches the hot set through the bus", async () => {
    const name = uniquePrefix('hot-set-bus');
    const a = new TieredCache<unknown>({ name, redis: client, hotSet: true });
    const b = new TieredCache<unknown>({ name, redis: client, hotSet: true });
    try {
      // Both subscribed (a subscription clears memory when it lands), then b's hot set holds k.
      for (let i = 0; i < 500; i++) {
        const [, count] = (await client.pubsub('NUMSUB', `${name}:bus`)) as [string, number];
        if (Number(count) >= 2) break;
        await sleep(10);
      }
      await a.set('k', json(1));
      for (let i = 0; i < 100 && b.stats().hotSet.entries === 0; i++) {
        assert.deepEqual(await b.get('k', { read: 'fast' }), json(1));
        await sleep(5);
      }
      assert.equal(b.stats().hotSet.entries, 1);
      const received = b.stats().bus.received;
      await a.set('k', json(2));
      for (let i = 0; i < 500 && b.stats().bus.received === received; i++) await sleep(10);
      assert.equal(b.stats().hotSet.entries, 0);
      assert.deepEqual(await b.get('k', { read: 'fast' }), json(2));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('an entry gone from the byte tier (evicted, expired) is not served from the hot set', async () => {
    const store = new MemoryStore({ budget: null });
    const cache = new TieredCache<unknown>({
      name: 'hot-evict',
      redis: false,
      memory: store,
      hotSet: true,
    });
    try {
      await cache.set('k', json(1));
      for (let r = 0; r < 3; r++) await cache.get('k');
      assert.equal(cache.stats().hotSet.entries, 1);
      store.delete('hot-evict:k'); // as an eviction would
      assert.equal(await cache.get('k'), undefined);
      assert.equal(cache.stats().hotSet.entries, 0);
    } finally {
      await cache.close();
      store.close();
    }
  });

  it("a member expires with its byte-tier entry, on the store's clock", async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ budget: null, now: () => now, sweepIntervalMs: 0 });
    const cache = new TieredCache<unknown>({
      name: 'hot-expiry',
      redis: false,
      memory: store,
      memoryTtlMs: 1_000,
      hotSet: true,
    });
    try {
      await cache.set('k', json(1));
      for (let r = 0; r < 3; r++) assert.deepEqual(await cache.get('k'), json(1));
      assert.equal(cache.stats().hotSet.entries, 1);
      now += 999;
      assert.deepEqual(await cache.get('k'), json(1));
      now += 2;
      assert.equal(await cache.get('k'), undefined);
      assert.equal(cache.stats().hotSet.entries, 0);
    } finally {
      await cache.close();
      store.close();
    }
  });

  it('a hot key still gets the checks of a read: bad options and a closed cache reject', async () => {
    const cache = new TieredCache<unknown>({ name: 'hot-checks', redis: false, hotSet: {} });
    await cache.set('k', json(1));
    for (let i = 0; i < 3; i++) assert.deepEqual(await cache.get('k'), json(1));
    assert.equal(cache.stats().hotSet.entries, 1);
    await assert.rejects(cache.get('k', { read: 'stale' } as never), /read must be/);
    assert.deepEqual(await cache.get('k', null as never), json(1));
    assert.equal(await cache.get('k', { read: 'fresh' }), await cache.get('k'));
    await cache.close();
    await assert.rejects(cache.get('k'), { code: 'TIERCACHE_CACHE_CLOSED' });
  });

  it('refuses bad bounds and needs no more than its options', () => {
    assert.throws(
      () => new TieredCache({ name: 'h', redis: false, hotSet: { maxEntries: 0 } }),
      InvalidOptionError,
    );
    assert.throws(
      () => new TieredCache({ name: 'h', redis: false, hotSet: 5 as never }),
      InvalidOptionTypeError,
    );
    assert.throws(
      () => new TieredCache({ name: 'h', redis: false, hotSet: { maxEntrys: 5 } as never }),
      /maxEntries/,
    );
  });
});
