/**
 * The read/write semantics every TieredCache set-up must share, as one case list. Each
 * `conformance-*.test.ts` file runs it against one set-up: memory only, Redis only,
 * memory + Redis, and a three-master Redis Cluster.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CacheClosedError,
  InvalidArgumentError,
  LoaderError,
  type TieredCache,
  type TieredCacheOptions,
  ValueTooLargeError,
} from 'tiercache';
import { gatedLoader } from '../helpers/gated-loader.ts';

/** Polls `check` every 10 ms, at most `tries` times; the test fails when it never holds. */
async function until(check: () => boolean | Promise<boolean>, tries = 1000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await sleep(10);
  }
  assert.fail('condition never held');
}

/** Builds a cache of the set-up under test; the suite closes every cache it makes. */
export type MakeCache = <V>(options: Omit<TieredCacheOptions<V>, 'name'>) => TieredCache<V>;

type Row = { id: string; n: number };

/** A loader over a fixed table that records every batch it was asked for. */
function recordingLoader(table: Record<string, Row | null>) {
  const calls: string[][] = [];
  const load = async (keys: string[]) => {
    calls.push([...keys]);
    await Promise.resolve();
    const out = new Map<string, Row | null>();
    for (const key of keys) if (Object.hasOwn(table, key)) out.set(key, table[key]!);
    return out;
  };
  return { calls, load };
}

/** Registers the shared cases under `describe(label)`. */
export function conformance(label: string, make: MakeCache): void {
  describe(`TieredCache conformance: ${label}`, () => {
    it('returns what was set, through get and getMany, with both read policies', async () => {
      const cache = make<unknown>({});
      try {
        await cache.set('obj', { a: 1, b: [true, 'x'] });
        await cache.set('null', null);
        await cache.set('str', 'héllo ✓');
        await cache.set('num', 0);
        assert.deepEqual(await cache.get('obj'), { a: 1, b: [true, 'x'] });
        assert.deepEqual(await cache.get('obj', { read: 'fast' }), { a: 1, b: [true, 'x'] });
        assert.equal(await cache.get('null'), null);
        assert.deepEqual(await cache.getMany(['str', 'num', 'null', 'nope']), [
          'héllo ✓',
          0,
          null,
          undefined,
        ]);
        assert.deepEqual(await cache.getMany(['str', 'num'], { read: 'fresh' }), ['héllo ✓', 0]);
      } finally {
        await cache.close();
      }
    });

    it('loads misses once, caches them, and aligns getMany with its input (duplicates included)', async () => {
      const { calls, load } = recordingLoader({ a: { id: 'a', n: 1 }, b: { id: 'b', n: 2 } });
      const cache = make<Row | null>({ load });
      try {
        const got = await cache.getMany(['b', 'a', 'zz', 'b', 'a']);
        assert.deepEqual(got, [
          { id: 'b', n: 2 },
          { id: 'a', n: 1 },
          undefined,
          { id: 'b', n: 2 },
          { id: 'a', n: 1 },
        ]);
        assert.deepEqual(calls, [['b', 'a', 'zz']]);
        assert.deepEqual(await cache.getMany(['a', 'b']), [
          { id: 'a', n: 1 },
          { id: 'b', n: 2 },
        ]);
        assert.deepEqual(await cache.get('a'), { id: 'a', n: 1 });
        assert.equal(calls.length, 1, 'cached values must not reach the loader again');
        assert.equal(cache.stats().loader.loads, 1);
        assert.equal(cache.stats().loader.keys, 3);
      } finally {
        await cache.close();
      }
    });

    it('answers an empty key list with [] and no loader call', async () => {
      const { calls, load } = recordingLoader({});
      const cache = make<Row | null>({ load });
      try {
        assert.deepEqual(await cache.getMany([]), []);
        await cache.deleteMany([]);
        await cache.setMany([]);
        assert.equal(calls.length, 0);
      } finally {
        await cache.close();
      }
    });

    it('refuses undefined as a value and keeps what was stored', async () => {
      const cache = make<unknown>({});
      try {
        await cache.set('k', 'kept');
        await assert.rejects(cache.set('k', undefined), InvalidArgumentError);
        await assert.rejects(
          cache.setMany([
            ['other', 1],
            ['k', undefined],
          ]),
          InvalidArgumentError,
        );
        assert.equal(await cache.get('k'), 'kept');
        assert.equal(await cache.get('other'), undefined, 'a rejected batch writes nothing');
        await assert.rejects(cache.get(42 as unknown as string), InvalidArgumentError);
        await assert.rejects(cache.getMany(['a', null as unknown as string]), InvalidArgumentError);
        for (const notEntries of [null, 5, undefined, {}]) {
          await assert.rejects(
            cache.setMany(notEntries as never),
            (error: Error & { code?: string }) => {
              assert.ok(error instanceof InvalidArgumentError, `${notEntries}: ${error.name}`);
              assert.equal(error.code, 'TIERCACHE_INVALID_ARGUMENT');
              return true;
            },
          );
        }
        assert.equal(await cache.get('k'), 'kept');
      } finally {
        await cache.close();
      }
    });

    it('deletes keys so that the next read goes back to the loader', async () => {
      const { calls, load } = recordingLoader({ a: { id: 'a', n: 1 }, b: { id: 'b', n: 2 } });
      const cache = make<Row | null>({ load });
      try {
        await cache.set('a', { id: 'a', n: 100 });
        await cache.set('b', { id: 'b', n: 200 });
        await cache.set('c', { id: 'c', n: 300 });
        await cache.delete('a');
        await cache.deleteMany(['b', 'c']);
        assert.deepEqual(await cache.getMany(['a', 'b', 'c'], { read: 'fast' }), [
          { id: 'a', n: 1 },
          { id: 'b', n: 2 },
          undefined,
        ]);
        assert.deepEqual(calls, [['a', 'b', 'c']]);
      } finally {
        await cache.close();
      }
    });

    it('writes many entries at once and overwrites older values', async () => {
      const cache = make<number>({});
      try {
        const entries = Array.from({ length: 500 }, (_, i): [string, number] => [`k${i}`, i]);
        await cache.setMany(entries);
        await cache.setMany([['k7', -7]]);
        const got = await cache.getMany(entries.map(([key]) => key));
        assert.equal(got.length, 500);
        assert.equal(got[7], -7);
        assert.equal(got[499], 499);
        assert.equal(await cache.get('k7'), -7);
      } finally {
        await cache.close();
      }
    });

    it('remembers missing keys for negativeTtlMs, and only then', async () => {
      const remembered = recordingLoader({});
      const cache = make<Row | null>({ load: remembered.load, negativeTtlMs: 60_000 });
      const forgetful = recordingLoader({});
      const plain = make<Row | null>({ load: forgetful.load });
      try {
        for (let i = 0; i < 3; i++) {
          assert.equal(await cache.get('ghost'), undefined);
          assert.deepEqual(await cache.getMany(['ghost']), [undefined]);
          assert.equal(await plain.get('ghost'), undefined);
        }
        assert.equal(remembered.calls.length, 1, 'a remembered miss must not reach the loader');
        assert.equal(forgetful.calls.length, 3);
        await cache.set('ghost', { id: 'ghost', n: 1 });
        assert.deepEqual(
          await cache.get('ghost'),
          { id: 'ghost', n: 1 },
          'a write replaces the marker',
        );
      } finally {
        await cache.close();
        await plain.close();
      }
    });

    it('stores null as a value, distinct from a missing key', async () => {
      const { calls, load } = recordingLoader({ nil: null });
      const cache = make<Row | null>({ load });
      try {
        assert.equal(await cache.get('nil'), null);
        assert.equal(await cache.get('nil'), null);
        assert.deepEqual(calls, [['nil']]);
      } finally {
        await cache.close();
      }
    });

    it('passes loader errors to the callers of those keys only, and does not cache them', async () => {
      let fail = true;
      const calls: string[][] = [];
      const cache = make<string>({
        load: (keys) => {
          calls.push([...keys]);
          if (fail && keys.includes('bad')) throw new Error('database down');
          return keys.map((key) => `v:${key}`);
        },
      });
      try {
        await cache.set('redisHit', 'stored');
        // One fetch below memory for both keys (`fresh`); the single read of 'redisHit', started
        // while that fetch is in flight, joins it instead of reading on its own.
        const [many, single] = await Promise.allSettled([
          cache.getMany(['redisHit', 'bad'], { read: 'fresh' }),
          cache.get('redisHit'),
        ]);
        assert.ok(many.status === 'rejected' && many.reason instanceof LoaderError);
        assert.match((many as PromiseRejectedResult).reason.message, /database down/);
        assert.deepEqual(single, { status: 'fulfilled', value: 'stored' }, "'redisHit' succeeds");
        assert.deepEqual(calls, [['bad']], 'the loader saw only the key no tier had');
        assert.ok(cache.stats().redis.hits <= 1, 'the single read joined the batch');
        fail = false;
        assert.deepEqual(
          await cache.getMany(['redisHit', 'bad'], { read: 'fresh' }),
          ['stored', 'v:bad'],
          'a failed load is not cached',
        );
        assert.equal(cache.stats().loader.errors, 1);
      } finally {
        await cache.close();
      }
    });

    it('runs the loader once for 1000 concurrent reads of a missing key', async () => {
      let calls = 0;
      const cache = make<string>({
        load: async (keys) => {
          calls++;
          await new Promise((resolve) => setTimeout(resolve, 20));
          return keys.map((key) => `v:${key}`);
        },
      });
      try {
        const reads = Array.from({ length: 1000 }, (_, i) =>
          i % 2 === 0 ? cache.get('hot') : cache.getMany(['hot']).then(([v]) => v),
        );
        const values = await Promise.all(reads);
        assert.ok(values.every((v) => v === 'v:hot'));
        assert.equal(calls, 1);
      } finally {
        await cache.close();
      }
    });

    it('merges concurrent batch loads: a key already in flight is joined, not reloaded', async () => {
      const calls: string[][] = [];
      const cache = make<string>({
        load: async (keys) => {
          calls.push([...keys].sort());
          await new Promise((resolve) => setTimeout(resolve, 20));
          return Object.fromEntries(keys.map((key) => [key, `v:${key}`]));
        },
      });
      try {
        const [first, second, single] = await Promise.all([
          cache.getMany(['a', 'b']),
          cache.getMany(['b', 'c', 'a']),
          cache.get('c'),
        ]);
        assert.deepEqual(first, ['v:a', 'v:b']);
        assert.deepEqual(second, ['v:b', 'v:c', 'v:a']);
        assert.equal(single, 'v:c');
        // Which read reaches the loader first depends on Redis's reply order; the batches do not.
        assert.deepEqual(
          calls.sort((x, y) => x.length - y.length),
          [['c'], ['a', 'b']],
        );
      } finally {
        await cache.close();
      }
    });

    it('accepts a Map, an object or an aligned array from the loader, and rejects a misaligned array', async () => {
      const forms = [
        (keys: string[]) => new Map(keys.map((key) => [key, key.toUpperCase()])),
        (keys: string[]) => Object.fromEntries(keys.map((key) => [key, key.toUpperCase()])),
        (keys: string[]) => keys.map((key) => key.toUpperCase()),
      ];
      for (const load of forms) {
        const cache = make<string>({ load });
        try {
          assert.deepEqual(await cache.getMany(['x', 'y']), ['X', 'Y']);
        } finally {
          await cache.close();
        }
      }
      const broken = make<string>({ load: () => ['only one'] });
      try {
        await assert.rejects(broken.getMany(['x', 'y']), LoaderError);
      } finally {
        await broken.close();
      }
    });

    it('a write during a load wins over the loaded value', async () => {
      const { load, loading, release } = gatedLoader((keys) => keys.map(() => 'old'));
      const cache = make<string>({
        load,
      });
      try {
        const reading = cache.get('k');
        await loading;
        await cache.set('k', 'new');
        release();
        assert.equal(await reading, 'old', 'the reader that started the load gets its result');
        assert.equal(await cache.get('k'), 'new');
        assert.deepEqual(await cache.getMany(['k']), ['new']);
      } finally {
        await cache.close();
      }
    });

    it('round-trips non-ASCII and empty keys', async () => {
      const cache = make<string>({});
      try {
        const keys = ['', 'ключ', '键', '🙂', 'a:b{c}'];
        await cache.setMany(keys.map((key) => [key, `v:${key}`]));
        assert.deepEqual(
          await cache.getMany(keys),
          keys.map((key) => `v:${key}`),
        );
      } finally {
        await cache.close();
      }
    });

    it('a miss returns what a later hit returns: the codec round trip, not the loader object', async () => {
      const at = new Date(0);
      const cache = make<{ at: unknown; tags: unknown }>({
        load: (keys) => keys.map(() => ({ at, tags: new Set(['x']) })),
      });
      try {
        const miss = await cache.get('k');
        const hit = await cache.get('k');
        const fast = await cache.get('k', { read: 'fast' });
        assert.deepEqual(miss, { at: '1970-01-01T00:00:00.000Z', tags: {} });
        assert.deepEqual(hit, miss);
        assert.deepEqual(fast, miss);
        assert.equal(cache.stats().loader.loads, 1);
        const viaGetOrSet = await cache.getOrSet('other', () => ({ at, tags: [] }));
        assert.deepEqual(viaGetOrSet, { at: '1970-01-01T00:00:00.000Z', tags: [] });
      } finally {
        await cache.close();
      }
    });

    it('getOrSet loads a miss with its own loader once, caches it, and joins reads in flight', async () => {
      const { calls, load } = recordingLoader({ shared: { id: 'shared', n: 1 } });
      const cache = make<Row | null>({ load });
      try {
        let perCall = 0;
        const loader = async (key: string) => {
          perCall++;
          await sleep(5);
          return { id: key, n: 42 };
        };
        const got = await Promise.all(
          Array.from({ length: 50 }, () => cache.getOrSet('p', loader)),
        );
        assert.equal(perCall, 1, 'concurrent getOrSet calls share one loader call');
        for (const value of got) assert.deepEqual(value, { id: 'p', n: 42 });
        assert.deepEqual(await cache.get('p'), { id: 'p', n: 42 });
        assert.deepEqual(await cache.getOrSet('p', loader), { id: 'p', n: 42 });
        assert.equal(perCall, 1, 'a cached value does not reach the per-call loader');
        assert.equal(calls.length, 0, "the cache-wide loader is not called for getOrSet's key");
        // A getOrSet that arrives while get's fetch is in flight joins it: one load in all.
        const [viaGet, viaGetOrSet] = await Promise.all([
          cache.get('shared'),
          cache.getOrSet('shared', loader),
        ]);
        assert.deepEqual(viaGet, { id: 'shared', n: 1 });
        assert.deepEqual(viaGetOrSet, { id: 'shared', n: 1 });
        assert.equal(calls.length, 1);
        assert.equal(perCall, 1);
        // undefined from the per-call loader means missing; nothing is cached for it.
        assert.equal(await cache.getOrSet('none', () => undefined), undefined);
        assert.equal(await cache.has('none'), false);
        await assert.rejects(cache.getOrSet('k', 'nope' as never), InvalidArgumentError);
      } finally {
        await cache.close();
      }
    });

    it('getOrSet on a cache without a loader is not answered by a concurrent get', async () => {
      const cache = make<string>({});
      try {
        const [viaGet, viaGetOrSet] = await Promise.all([
          cache.get('k'),
          cache.getOrSet('k', () => 'from getOrSet'),
        ]);
        assert.equal(viaGet, undefined);
        assert.equal(viaGetOrSet, 'from getOrSet');
        assert.equal(await cache.get('k'), 'from getOrSet');
      } finally {
        await cache.close();
      }
    });

    it('has tells whether a value is cached, without calling the loader', async () => {
      const { calls, load } = recordingLoader({ nope: null });
      const cache = make<Row | null>({ load, negativeTtlMs: 60_000 });
      try {
        assert.equal(await cache.has('a'), false);
        await cache.set('a', { id: 'a', n: 1 });
        assert.equal(await cache.has('a'), true);
        assert.equal(await cache.has('a', { read: 'fast' }), true);
        await cache.set('null', null);
        assert.equal(await cache.has('null'), true, 'null is a value');
        assert.equal(await cache.get('missing'), undefined); // remembered as missing
        assert.equal(await cache.has('missing'), false);
        await cache.delete('a');
        assert.equal(await cache.has('a'), false);
        assert.deepEqual(calls, [['missing']], 'has never loads');
        await assert.rejects(cache.has(5 as never), InvalidArgumentError);
      } finally {
        await cache.close();
      }
    });

    it("clear empties this cache's namespace and no other cache's", async () => {
      const { calls, load } = recordingLoader({ a: { id: 'a', n: 1 } });
      const cache = make<Row | null>({ load });
      const other = make<Row | null>({});
      try {
        const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
        await cache.setMany(keys.map((key, i) => [key, { id: key, n: i }]));
        await other.setMany(keys.map((key, i) => [key, { id: key, n: -i }]));
        await cache.get('a');
        await cache.clear();
        assert.deepEqual(
          await cache.getMany(keys, { read: 'fresh' }),
          keys.map(() => undefined),
        );
        assert.deepEqual(await cache.getMany(keys.slice(0, 5), { read: 'fast' }), [
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
        ]);
        assert.equal(await cache.has('k0'), false);
        assert.deepEqual(await other.get('k7'), { id: 'k7', n: -7 }, "the other cache's keys stay");
        assert.deepEqual(await cache.get('a'), { id: 'a', n: 1 }, 'cleared keys load again');
        assert.deepEqual(calls.at(-1), ['a'], 'a cleared key reaches the loader again');
        await cache.clear(); // an empty namespace clears fine
      } finally {
        await cache.close();
        await other.close();
      }
    });

    it('graceMs serves the last value when the loader fails after expiry, and only within grace', async () => {
      let failing = false;
      let version = 0;
      const load = async (keys: string[]) => {
        if (failing) throw new Error('database down');
        version++;
        return keys.map((key) => `${key}@${version}`);
      };
      const errors: Error[] = [];
      const cache = make<string>({ load, ttlMs: 100, ttlJitter: 0, graceMs: 60_000 });
      const plain = make<string>({ load, ttlMs: 100, ttlJitter: 0 });
      cache.on('error', (error) => errors.push(error));
      plain.on('error', () => {});
      try {
        assert.equal(await cache.get('k'), 'k@1');
        assert.equal(await plain.get('k'), 'k@2');
        await sleep(150); // past the 100 ms TTL, well within the grace period
        failing = true;
        assert.equal(await cache.get('k'), 'k@1', 'the stale value is served');
        assert.equal(await cache.get('k', { read: 'fast' }), 'k@1');
        assert.deepEqual(await cache.getMany(['k']), ['k@1']);
        assert.ok(cache.stats().grace.stale >= 3);
        assert.ok(
          errors.some((error) => /database down/.test(error.message)),
          'not silent',
        );
        await assert.rejects(
          plain.get('k'),
          LoaderError,
          'without graceMs the error reaches the caller',
        );
        await assert.rejects(cache.get('never-loaded'), LoaderError, 'no stale value: the error');
        failing = false;
        assert.equal(await cache.get('k'), 'k@3', 'a fresh value replaces the stale one');
      } finally {
        await cache.close();
        await plain.close();
      }
    });

    it('refreshAheadMs reloads a hot key in the background before it expires, once', async () => {
      let version = 0;
      let loads = 0;
      const load = async (keys: string[]) => {
        loads++;
        version++;
        await sleep(5);
        return keys.map((key) => `${key}@${version}`);
      };
      const cache = make<string>({ load, ttlMs: 20_000, ttlJitter: 0, refreshAheadMs: 19_900 });
      try {
        assert.equal(await cache.get('k'), 'k@1');
        assert.equal(await cache.get('j'), 'j@2');
        await sleep(150); // now less than refreshAheadMs is left
        const reads = await Promise.all(
          Array.from({ length: 20 }, (_, i) => cache.get('k', { read: i % 2 ? 'fast' : 'fresh' })),
        );
        for (const value of reads)
          assert.equal(value, 'k@1', 'the current value is served at once');
        await until(() => loads >= 3);
        assert.equal(loads, 3, 'one background reload for all those reads');
        await until(async () => (await cache.get('k')) === 'k@3');
        // In a batch that also loads a missing key, the near-expiry key is refreshed after it.
        const before = loads;
        const [j, added] = await cache.getMany(['j', 'new'], { read: 'fresh' });
        assert.equal(j, 'j@2');
        assert.match(added!, /^new@\d+$/);
        await until(() => loads >= before + 2);
        await until(async () => (await cache.get('j')) !== 'j@2');
        assert.ok(cache.stats().grace.refreshes >= 1);
      } finally {
        await cache.close();
      }
    });

    it('an oversized value is an error when strict, an error event otherwise, never silent', async () => {
      const big = 'x'.repeat(300_000);
      const strict = make<string>({
        strict: true,
        memory: { maxEntryBytes: 65_536 },
        maxValueBytes: 131_072,
      });
      const lenient = make<string>({ memory: { maxEntryBytes: 65_536 }, maxValueBytes: 131_072 });
      const errors: Error[] = [];
      lenient.on('error', (error) => errors.push(error));
      try {
        await strict.set('k', 'small');
        await assert.rejects(strict.set('k', big), { code: 'TIERCACHE_VALUE_TOO_LARGE' });
        await assert.rejects(
          strict.setMany([
            ['j', 'ok'],
            ['k', big],
          ]),
          ValueTooLargeError,
        );
        assert.equal(await strict.get('k'), 'small', 'a refused write changes nothing');
        assert.equal(await strict.get('j'), undefined, 'nothing of the batch was written');
        await lenient.set('k', 'small');
        await lenient.set('k', big);
        assert.equal(await lenient.get('k'), undefined, 'the old value is not served instead');
        assert.equal(await lenient.get('k', { read: 'fast' }), undefined);
        assert.ok(errors.length >= 1);
        assert.ok(errors.every((error) => error instanceof ValueTooLargeError));
        assert.ok(lenient.stats().tooLarge >= 1);
      } finally {
        await strict.close();
        await lenient.close();
      }
    });

    it('throws CacheClosedError after close()', async () => {
      const cache = make<string>({});
      await cache.close();
      await cache.close();
      assert.equal(cache.closed, true);
      await assert.rejects(cache.get('k'), CacheClosedError);
      await assert.rejects(cache.getMany(['k']), CacheClosedError);
      await assert.rejects(cache.set('k', 'v'), CacheClosedError);
      await assert.rejects(
        cache.getOrSet('k', () => 'v'),
        CacheClosedError,
      );
      await assert.rejects(cache.has('k'), CacheClosedError);
      await assert.rejects(cache.clear(), CacheClosedError);
    });
  });
}
