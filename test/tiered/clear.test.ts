import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { TieredCache } from 'tiercache';
import { type PrivateRedis, startRedisServer } from '../helpers/redis-server.ts';

describe('clear() on Redis', { timeout: 60_000 }, () => {
  let server: PrivateRedis;
  before(async () => {
    server = await startRedisServer();
  });
  after(async () => {
    await server.kill();
  });

  it('unlinks every key of the namespace over many SCAN batches and nothing else', async () => {
    const client = server.client();
    // Small batches: 2,500 keys take many SCAN steps of at most 100 keys each.
    // Generous timeouts: this test is about batching, not about a slow machine's 500 ms misses.
    const cache = new TieredCache<number>({
      name: 'many',
      redis: client,
      redisBatchSize: 100,
      redisTimeoutMs: 10_000,
    });
    const neighbour = new TieredCache<number>({
      name: 'many-2',
      redis: client,
      redisTimeoutMs: 10_000,
    });
    const errors: Error[] = [];
    cache.on('error', (error) => errors.push(error));
    try {
      const keys = Array.from({ length: 2500 }, (_, i) => `k${i}`);
      await cache.setMany(keys.map((key, i) => [key, i]));
      await neighbour.set('k1', -1);
      await client.set('many', 'a key that is not in the namespace');
      assert.equal((await client.keys('many:*')).length, 2500);
      await cache.clear();
      assert.deepEqual(errors, []);
      assert.deepEqual(await client.keys('many:*'), []);
      assert.equal(await neighbour.get('k1'), -1);
      assert.equal(await client.get('many'), 'a key that is not in the namespace');
    } finally {
      await cache.close();
      await neighbour.close();
      client.disconnect();
    }
  });

  it("respects the client's keyPrefix, glob characters in it included", async () => {
    const prefixed = new Redis({ host: '127.0.0.1', port: server.port, keyPrefix: 'app[1]*:' });
    const plain = server.client();
    const cache = new TieredCache<string>({
      name: 'pfx',
      redis: prefixed,
      memory: false,
      redisTimeoutMs: 10_000,
    });
    try {
      await cache.setMany([
        ['a', '1'],
        ['b', '2'],
      ]);
      // A key the pattern would match if `[1]*` were read as a glob: it must stay.
      await plain.set('app1xyz:pfx:a', 'stays');
      assert.deepEqual((await plain.keys('app?1?\\*:pfx:*')).sort(), [
        'app[1]*:pfx:a',
        'app[1]*:pfx:b',
      ]);
      await cache.clear();
      assert.deepEqual(await plain.keys('app?1?\\*:pfx:*'), []);
      assert.equal(await plain.get('app1xyz:pfx:a'), 'stays');
      assert.equal(await cache.has('a'), false);
    } finally {
      await cache.close();
      prefixed.disconnect();
      plain.disconnect();
    }
  });

  it('strict: a clear that cannot reach Redis throws; otherwise it is reported', async () => {
    const client = server.client();
    client.on('error', () => {});
    const strict = new TieredCache<string>({
      name: 'down',
      redis: client,
      redisTimeoutMs: 300,
      strict: true,
    });
    const lenient = new TieredCache<string>({ name: 'down2', redis: client, redisTimeoutMs: 300 });
    const errors: Error[] = [];
    lenient.on('error', (error) => errors.push(error));
    strict.on('error', () => {});
    try {
      server.pause();
      await assert.rejects(strict.clear(), { code: 'TIERCACHE_REDIS_TIMEOUT' });
      await lenient.clear();
      assert.ok(
        errors.some((error) => (error as { code?: string }).code === 'TIERCACHE_REDIS_TIMEOUT'),
      );
    } finally {
      server.resume();
      await strict.close();
      await lenient.close();
      client.disconnect();
    }
  });
});
