import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Redis } from 'ioredis';
import { TieredCache } from 'tiercache';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts';

const skip = await skipWithoutRedis();
let client: Redis;
before(() => {
  if (!skip) client = sharedRedis();
});
after(() => client?.disconnect());

it('get is fresh (skips memory), getMany is fast (memory first); both can be overridden', {
  skip,
}, async () => {
  const name = uniquePrefix('policy');
  // Another node writing without the bus: the reader's memory is now stale, and only the
  // read policy decides whether it is served.
  const writer = new TieredCache<string>({ name, redis: client, memory: false, bus: false });
  const reader = new TieredCache<string>({ name, redis: client, bus: false });
  try {
    await writer.set('k', 'old');
    assert.deepEqual(await reader.getMany(['k']), ['old']); // fills reader's memory
    await writer.set('k', 'new');
    assert.deepEqual(await reader.getMany(['k']), ['old'], 'fast: served from memory');
    assert.equal(await reader.get('k', { read: 'fast' }), 'old');
    assert.equal(await reader.get('k'), 'new', 'fresh: Redis, memory skipped');
    // The fresh read back-filled memory, so fast reads now see the new value too.
    assert.deepEqual(await reader.getMany(['k']), ['new']);
    await writer.set('k', 'newer');
    assert.deepEqual(await reader.getMany(['k'], { read: 'fresh' }), ['newer']);
    await assert.rejects(reader.get('k', { read: 'stale' as 'fast' }), /read must be/);
  } finally {
    await writer.close();
    await reader.close();
    await client.del(`${name}:k`);
  }
});

it("caches sharing one MemoryStore never see each other's keys", async () => {
  const { MemoryStore } = await import('tiercache');
  const store = new MemoryStore();
  const one = new TieredCache<string>({ name: uniquePrefix('one'), memory: store });
  const two = new TieredCache<string>({ name: uniquePrefix('two'), memory: store });
  try {
    await one.set('k', 'one');
    await two.set('k', 'two');
    assert.equal(await one.get('k'), 'one');
    assert.equal(await two.get('k'), 'two');
    await one.close();
    assert.equal(await two.get('k'), 'two', 'closing a cache does not close a shared store');
  } finally {
    await two.close();
    store.close();
  }
});
