/**
 * The read/write semantics every TieredCache set-up must share, as one case list. Each
 * `conformance-*.test.ts` file runs it against one set-up: memory only, Redis only,
 * memory + Redis, and a three-master Redis Cluster.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CacheClosedError,
  InvalidArgumentError,
  LoaderError,
  type TieredCache,
  type TieredCacheOptions,
} from 'tiercache';

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
          calls.push(keys);
          if (fail && keys.includes('bad')) throw new Error('database down');
          return keys.map((key) => `v:${key}`);
        },
      });
      try {
        const [bad, good] = await Promise.allSettled([cache.get('bad'), cache.get('good')]);
        assert.equal(bad.status, 'rejected');
        assert.ok(bad.status === 'rejected' && bad.reason instanceof LoaderError);
        assert.match((bad as PromiseRejectedResult).reason.message, /database down/);
        assert.deepEqual(good, { status: 'fulfilled', value: 'v:good' });
        fail = false;
        assert.equal(await cache.get('bad'), 'v:bad', 'a failed load is not cached');
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
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let started!: () => void;
      const loading = new Promise<void>((resolve) => {
        started = resolve;
      });
      const cache = make<string>({
        load: async (keys) => {
          started();
          await gate;
          return keys.map(() => 'old');
        },
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

    it('throws CacheClosedError after close()', async () => {
      const cache = make<string>({});
      await cache.close();
      await cache.close();
      assert.equal(cache.closed, true);
      await assert.rejects(cache.get('k'), CacheClosedError);
      await assert.rejects(cache.getMany(['k']), CacheClosedError);
      await assert.rejects(cache.set('k', 'v'), CacheClosedError);
    });
  });
}
