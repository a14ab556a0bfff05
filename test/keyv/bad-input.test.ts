// Bad input to the Keyv adapters: a clear TIERCACHE_ error, and nothing already stored is lost.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyvMemoryStore, KeyvTieredStore } from 'tiercache/keyv';
import { sharedRedis, skipWithoutRedis } from '../helpers/redis.ts';

test('KeyvMemoryStore refuses a store that is neither a MemoryStore nor options', () => {
  assert.throws(() => new KeyvMemoryStore(42 as never), {
    code: 'TIERCACHE_INVALID_OPTION',
    message: /store/,
  });
});

test('a value JSON cannot hold is refused, and the value already stored stays', async () => {
  const adapter = new KeyvMemoryStore();
  assert.equal(await adapter.set('k', { n: 1 }), true);
  await assert.rejects(
    adapter.set('k', () => 1),
    {
      code: 'TIERCACHE_INVALID_ARGUMENT',
      message: /cannot be stored/,
    },
  );
  assert.deepEqual(await adapter.get('k'), { n: 1 });
  adapter.store.close();
});

test('KeyvTieredStore needs a Redis client and a known read policy', async (t) => {
  assert.throws(() => new KeyvTieredStore({ name: 'keyv-bad' } as never), {
    code: 'TIERCACHE_INVALID_OPTION',
    message: /redis/,
  });
  const skip = await skipWithoutRedis();
  if (skip) return t.skip(skip);
  const redis = sharedRedis();
  try {
    assert.throws(() => new KeyvTieredStore({ name: 'keyv-bad', redis, read: 'stale' as never }), {
      code: 'TIERCACHE_INVALID_OPTION',
      message: /read.*'fresh' or 'fast'/,
    });
  } finally {
    redis.disconnect();
  }
});
