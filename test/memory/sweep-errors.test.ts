import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { MemoryStore } from '../../src/memory/index.ts';

test('an onRemove that throws during the background sweep is a warning, not a crash', async () => {
  let calls = 0;
  const store = new MemoryStore({
    budget: null,
    sweepIntervalMs: 10,
    onRemove: (key, _value, reason) => {
      calls++;
      throw new Error(`onRemove failed for ${key} (${reason})`);
    },
  });
  store.set('a', '1', { ttlMs: 1 });
  store.set('b', '2');
  // The sweep's timer is unref()ed: hold the event loop open (bounded) while waiting for it.
  const keepAlive = setTimeout(() => {}, 10_000);
  const [warning] = (await once(process, 'warning')) as [Error & { code?: string }];
  clearTimeout(keepAlive);
  assert.equal(warning.code, 'TIERCACHE_ON_REMOVE_FAILED');
  assert.match(warning.message, /onRemove failed for a \(expired\)/);
  assert.equal(calls, 1);
  // The store went on: the expired entry is gone, the other is intact and still writable.
  assert.equal(store.has('a'), false);
  assert.equal(store.getString('b'), '2');
  assert.equal(store.set('c', '3'), true);
  store.close();
});
