import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes, StoreClosedError } from 'tiercache/errors';
import { MemoryBudget, MemoryStore, memoryStores } from 'tiercache/memory';

test('after close(), every use throws StoreClosedError', () => {
  const store = new MemoryStore({ name: 'closing', budget: null });
  store.set('k', 'v');
  store.close();
  const uses: [string, () => unknown][] = [
    ['set', () => store.set('k', 'v')],
    ['get', () => store.get('k')],
    ['getString', () => store.getString('k')],
    ['has', () => store.has('k')],
    ['delete', () => store.delete('k')],
    ['clear', () => store.clear()],
    ['purgeExpired', () => store.purgeExpired()],
    ['stats', () => store.stats()],
    ['size', () => store.size],
    ['usedBytes', () => store.usedBytes],
    ['reservedBytes', () => store.reservedBytes],
    ['keys', () => [...store.keys()]],
    ['entries', () => [...store.entries()]],
    ['iterator', () => [...store]],
  ];
  for (const [label, use] of uses) {
    assert.throws(use, (error: unknown) => {
      assert.ok(error instanceof StoreClosedError, label);
      assert.equal(error.code, ErrorCodes.STORE_CLOSED, label);
      assert.match(error.message, /closing/);
      return true;
    });
  }
  assert.equal(store.closed, true);
  store.close(); // idempotent
});

test('close() returns the budget bytes and leaves the registry', () => {
  const budget = new MemoryBudget({ maxBytes: 1 << 24 });
  const store = new MemoryStore({ name: 'to-close', budget });
  for (let i = 0; i < 1000; i++) store.set(`k${i}`, 'v'.repeat(100));
  assert.ok(budget.reservedBytes > 0);
  assert.ok(memoryStores().some((s) => s.name === 'to-close'));
  store.close();
  assert.equal(budget.reservedBytes, 0);
  assert.equal(budget.stores, 0);
  assert.ok(!memoryStores().some((s) => s.name === 'to-close'));
});

test('an iteration in progress stops at close()', () => {
  const store = new MemoryStore({ budget: null });
  for (let i = 0; i < 10; i++) store.set(`k${i}`, 'v');
  const keys = store.keys();
  keys.next();
  store.close();
  assert.throws(() => keys.next(), StoreClosedError);
});
