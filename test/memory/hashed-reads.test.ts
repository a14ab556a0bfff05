import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStore } from 'tiercache/memory';

test('getHashed and getStringHashed read as get and getString, counted the same', () => {
  const store = new MemoryStore({ name: 'hashed-reads', budget: null });
  store.set('a', 'alpha');
  store.set('b', new Uint8Array([1, 2, 3]));
  assert.equal(store.getStringHashed('a', store.hashOf('a')), 'alpha');
  assert.deepEqual(store.getHashed('b', store.hashOf('b')), Buffer.from([1, 2, 3]));
  assert.equal(store.getStringHashed('missing', store.hashOf('missing')), undefined);
  const stats = store.stats();
  assert.equal(stats.hits, 2);
  assert.equal(stats.misses, 1);
  store.close();
});

test('a hash that is not the key’s finds nothing, never another key’s value', () => {
  const store = new MemoryStore({ name: 'hashed-reads-wrong', budget: null });
  for (let i = 0; i < 100; i++) store.set(`k${i}`, `v${i}`);
  for (let i = 0; i < 100; i++) {
    const other = store.hashOf(`k${(i + 1) % 100}`);
    assert.equal(store.getStringHashed(`k${i}`, other), undefined);
    assert.equal(store.getStringHashed(`k${i}`, store.hashOf(`k${i}`)), `v${i}`);
  }
  assert.throws(() => store.hashOf(5 as unknown as string), { code: 'TIERCACHE_INVALID_ARGUMENT' });
  store.close();
  assert.throws(() => store.getStringHashed('k0', 0), /closed/);
});
