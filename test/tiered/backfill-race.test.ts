import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { TieredCache } from 'tiercache';
import { gatedLoader } from '../helpers/gated-loader.ts';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts';

const skip = await skipWithoutRedis();

describe('a late back-fill never overwrites a newer write from another node', { skip }, () => {
  let client: Redis;
  before(() => {
    client = sharedRedis();
  });
  after(() => client?.disconnect());

  // Node B loads from a database read made before node A's write; B's back-fill reaches Redis
  // after A's SET, before A's bus message reaches B (here: A has no bus at all).
  for (const [label, fromDb] of [
    ['a loaded value', 'old-from-db'],
    ['a negative marker', undefined],
  ] as const) {
    it(label, async () => {
      const name = uniquePrefix('backfill-race');
      const { load, loading, release } = gatedLoader((keys) => keys.map(() => fromDb));
      const b = new TieredCache<string>({ name, redis: client, load, negativeTtlMs: 60_000 });
      const a = new TieredCache<string>({ name, redis: client, memory: false, bus: false });
      try {
        const reading = b.get('k');
        await loading;
        await a.set('k', 'new');
        release();
        assert.equal(await reading, fromDb, 'the reader that started the load gets its result');
        // B's back-fill SET was sent before its read resolved; a PING on the same connection
        // returns once Redis has processed it.
        await client.ping();
        assert.equal(await a.get('k'), 'new');
      } finally {
        await a.close();
        await b.close();
        await client.del(`${name}:k`);
      }
    });
  }
});
