import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, it } from 'node:test';
import type { Redis } from 'ioredis';
import { CodecError, TieredCache, TieredChannels } from 'tiercache';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts';

const skip = await skipWithoutRedis();
let client: Redis;
before(() => {
  if (!skip) client = sharedRedis();
});
after(() => client?.disconnect());

it('treats undecodable bytes in Redis as a miss: deleted, reported, loaded value returned', {
  skip,
}, async () => {
  const name = uniquePrefix('corrupt');
  const cache = new TieredCache<{ n: number }>({
    name,
    redis: client,
    memory: false,
    load: (keys) => keys.map(() => ({ n: 1 })),
  });
  const errors: Error[] = [];
  cache.on('error', (error) => errors.push(error));
  const published: unknown[] = [];
  const onMessage = (message: unknown) => published.push(message);
  subscribe(TieredChannels.codecError, onMessage);
  try {
    // Bytes another program wrote: no tiercache tag, then a tag followed by broken JSON.
    await client.set(`${name}:plain`, 'not ours');
    await client.set(`${name}:broken`, Buffer.from([0x01, 0x7b, 0x7b]));
    assert.deepEqual(await cache.getMany(['plain', 'broken']), [{ n: 1 }, { n: 1 }]);
    assert.equal(errors.length, 2);
    assert.ok(errors.every((error) => error instanceof CodecError));
    assert.equal(published.length, 2);
    assert.equal(cache.stats().codecErrors, 2);
    // The corrupt entries were replaced by the loaded values.
    assert.deepEqual(await cache.get('broken'), { n: 1 });
    assert.equal(cache.stats().loader.loads, 1);
  } finally {
    unsubscribe(TieredChannels.codecError, onMessage);
    await cache.close();
    await client.del(`${name}:plain`, `${name}:broken`);
  }
});

it('a value the codec cannot encode is refused with a CodecError and stores nothing', async () => {
  const cache = new TieredCache<unknown>({ name: uniquePrefix('encode'), redis: false });
  try {
    await cache.set('k', 'kept');
    await assert.rejects(
      cache.set('k', () => 1),
      CodecError,
    );
    await assert.rejects(cache.set('k', 10n), CodecError);
    assert.equal(await cache.get('k'), 'kept');
  } finally {
    await cache.close();
  }
});
