import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { bytesCodec, stringCodec, TieredCache, type TieredCacheOptions } from 'tiercache';
import { ValueTooLargeError } from 'tiercache/errors';
import { MemoryStore } from 'tiercache/memory';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts';

const skip = await skipWithoutRedis();

describe('getMany back-fills memory with what Redis holds, in one batch', { skip }, () => {
  let client: Redis;
  before(() => {
    client = sharedRedis();
  });
  after(() => client?.disconnect());

  const values = (n: number) =>
    Array.from(
      { length: n },
      (_, i) => [`k${i}`, { id: i, text: `é ${'x'.repeat(i % 50)}` }] as const,
    );

  for (const [label, extra] of [
    ['json codec, own store', {}],
    ['json codec, shared store', { shared: true }],
    ['string codec', { codec: 'string' }],
    ['buffer codec', { codec: 'buffer' }],
    ['json codec, graceMs', { graceMs: 5_000 }],
  ] as const) {
    it(label, async () => {
      const name = uniquePrefix('backfill-batch');
      const codec =
        'codec' in extra ? (extra.codec === 'string' ? stringCodec() : bytesCodec()) : undefined;
      const encode = (v: { id: number; text: string }): unknown =>
        'codec' in extra
          ? extra.codec === 'string'
            ? JSON.stringify(v)
            : Buffer.from(JSON.stringify(v))
          : v;
      const options: TieredCacheOptions<unknown> = {
        name,
        redis: client,
        bus: false,
        ttlMs: 60_000,
        ...(codec ? { codec: codec as never } : {}),
        ...('graceMs' in extra ? { graceMs: extra.graceMs } : {}),
      };
      const writer = new TieredCache<unknown>({ ...options, memory: false });
      const entries = values(300);
      await writer.setMany(entries.map(([k, v]) => [k, encode(v)] as const));
      const store = 'shared' in extra ? new MemoryStore({ budget: null }) : undefined;
      const reader = new TieredCache<unknown>({ ...options, ...(store ? { memory: store } : {}) });
      try {
        const keys = entries.map(([k]) => k);
        const got = await reader.getMany([...keys, 'absent']);
        assert.deepEqual(got, [...entries.map(([, v]) => encode(v)), undefined]);
        assert.equal(reader.stats().memory.sets, 300);
        // Redis loses the keys behind the reader's back: memory alone answers now.
        await client.del(...keys.map((k) => `${name}:${k}`));
        const again = await reader.getMany(keys);
        assert.deepEqual(
          again,
          entries.map(([, v]) => encode(v)),
        );
        assert.equal(reader.stats().memory.hits, 300);
      } finally {
        await reader.close();
        await writer.close();
        store?.close();
      }
    });
  }

  it('an entry too large for memory is reported and left out; the others are stored', async () => {
    const name = uniquePrefix('backfill-batch');
    const writer = new TieredCache<string>({ name, redis: client, bus: false, memory: false });
    await writer.setMany([
      ['small', 'a'],
      ['big', 'b'.repeat(4000)],
    ]);
    const reader = new TieredCache<string>({
      name,
      redis: client,
      bus: false,
      memory: { maxEntryBytes: 1024, budget: null },
    });
    const errors: unknown[] = [];
    reader.on('error', (error) => errors.push(error));
    try {
      assert.deepEqual(await reader.getMany(['small', 'big']), ['a', 'b'.repeat(4000)]);
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof ValueTooLargeError);
      assert.equal(reader.stats().memory.sets, 1);
      assert.equal(reader.stats().tooLarge, 1);
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});
