// cache-manager 7 over tiercache: a Keyv wrapping KeyvMemoryStore or KeyvTieredStore is a
// cache-manager store.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { KeyvMemoryStore, KeyvTieredStore } from 'tiercache/keyv';
import { MemoryStore } from 'tiercache/memory';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts';

const store = new MemoryStore({ name: 'cache-manager-test', maxBytes: 4 * 2 ** 20 });
after(() => store.close());

function newCache(namespace: string) {
  return createCache({ stores: [new Keyv({ store: new KeyvMemoryStore(store), namespace })] });
}

test('set, get, mget, del and clear go through the MemoryStore', async () => {
  const cache = newCache('cm-basic');
  await cache.set('user:1', { id: 1, name: 'Ada' });
  await cache.mset([
    { key: 'user:2', value: { id: 2, name: 'Grace' } },
    { key: 'user:3', value: { id: 3, name: 'Edsger' } },
  ]);
  assert.deepEqual(await cache.get('user:1'), { id: 1, name: 'Ada' });
  assert.deepEqual(await cache.mget(['user:1', 'user:3', 'user:9']), [
    { id: 1, name: 'Ada' },
    { id: 3, name: 'Edsger' },
    undefined,
  ]);
  // The entries really are in the store, under Keyv's namespace prefix.
  assert.equal(store.has('cm-basic:user:2'), true);
  assert.equal(await cache.del('user:2'), true);
  assert.equal(store.has('cm-basic:user:2'), false);

  const other = newCache('cm-other');
  await other.set('user:1', 'kept');
  await cache.clear();
  assert.equal(await cache.get('user:1'), undefined);
  assert.equal(await other.get('user:1'), 'kept', 'clear() reached another namespace');
  await other.clear();
});

test('wrap calls the function once and serves the cached value after', async () => {
  const cache = newCache('cm-wrap');
  let calls = 0;
  const load = async () => {
    calls++;
    return { rows: [1, 2, 3] };
  };
  assert.deepEqual(await cache.wrap('report', load), { rows: [1, 2, 3] });
  assert.deepEqual(await cache.wrap('report', load), { rows: [1, 2, 3] });
  assert.equal(calls, 1);
  await cache.clear();
});

test('a ttl passed to cache-manager expires the entry in the MemoryStore too', async () => {
  const cache = newCache('cm-ttl');
  await cache.set('short', 'lived', 30);
  await cache.set('long', 'lived', 60_000);
  assert.equal(await cache.get('short'), 'lived');
  // Bounded wait for the expiry (no timing assertion: only that it happens).
  for (let i = 0; i < 200 && store.has('cm-ttl:short'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(store.has('cm-ttl:short'), false, 'the store kept an expired entry');
  assert.equal(await cache.get('short'), undefined);
  assert.equal(await cache.get('long'), 'lived');
  await cache.clear();
});

test('cache-manager over KeyvTieredStore writes through to Redis', {
  skip: await skipWithoutRedis(),
}, async () => {
  const redis = sharedRedis();
  const name = uniquePrefix('cm-tiered');
  const adapter = new KeyvTieredStore({ name, redis });
  const cache = createCache({ stores: [new Keyv({ store: adapter, namespace: 'app' })] });
  try {
    let calls = 0;
    const value = await cache.wrap('report', async () => {
      calls++;
      return { total: 42 };
    });
    assert.deepEqual(value, { total: 42 });
    assert.deepEqual(await cache.wrap('report', async () => ({ total: 0 })), { total: 42 });
    assert.equal(calls, 1);
    // Another node (its own adapter and TieredCache) reads it from Redis.
    const other = new KeyvTieredStore({ name, redis });
    const otherCache = createCache({ stores: [new Keyv({ store: other, namespace: 'app' })] });
    assert.deepEqual(await otherCache.get('report'), { total: 42 });
    assert.equal(await redis.exists(`${name}:app:report`), 1);
    await cache.clear();
    assert.equal(await redis.exists(`${name}:app:report`), 0);
    assert.equal(await otherCache.get('report'), undefined);
    await other.disconnect();
  } finally {
    await adapter.disconnect();
    redis.disconnect();
  }
});
