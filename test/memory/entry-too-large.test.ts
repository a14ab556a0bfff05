import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EntryTooLargeError, ErrorCodes } from 'tiercache/errors';
import { MemoryStore } from 'tiercache/memory';

test('an entry over maxEntryBytes throws and leaves the store as it was', () => {
  const store = new MemoryStore({ maxEntryBytes: 1024, budget: null });
  store.set('k', 'original');
  store.set('other', 'stays');
  const before = { stats: store.stats(), used: store.usedBytes, reserved: store.reservedBytes };
  assert.throws(
    () => store.set('k', 'x'.repeat(1024)),
    (error: unknown) => {
      assert.ok(error instanceof EntryTooLargeError);
      assert.equal(error.code, ErrorCodes.ENTRY_TOO_LARGE);
      assert.equal(error.entryBytes, 24 + 1 + 1024);
      assert.equal(error.maxEntryBytes, 1024);
      assert.match(error.message, /maxEntryBytes/);
      return true;
    },
  );
  assert.throws(() => store.set('k', new Uint8Array(5000)), EntryTooLargeError);
  assert.deepEqual(store.stats(), before.stats);
  assert.equal(store.usedBytes, before.used);
  assert.equal(store.reservedBytes, before.reserved);
  assert.equal(store.getString('k'), 'original');
  assert.equal(store.getString('other'), 'stays');
  store.close();
});

test('the limit counts header, key (2 bytes per unit when wide) and value exactly', () => {
  const store = new MemoryStore({ maxEntryBytes: 100, budget: null });
  assert.equal(store.maxEntryBytes, 100);
  assert.equal(store.set('ab', 'v'.repeat(100 - 24 - 2)), true);
  assert.throws(() => store.set('ab', 'v'.repeat(100 - 24 - 1)), EntryTooLargeError);
  assert.equal(store.set('€', 'v'.repeat(100 - 24 - 2)), true);
  assert.throws(() => store.set('€', 'v'.repeat(100 - 24 - 1)), EntryTooLargeError);
  // UTF-8 values count their encoded bytes.
  assert.throws(() => store.set('k', 'é'.repeat(40)), EntryTooLargeError);
  store.close();
});

test('the largest allowed entry fits even in a tiny shard', () => {
  const store = new MemoryStore({ shards: 1, maxBytes: 4096, maxEntryBytes: 4000, budget: null });
  assert.equal(store.set('k', 'v'.repeat(4000 - 25)), true);
  assert.equal(store.getString('k')!.length, 4000 - 25);
  assert.equal(store.set('j', 'w'.repeat(4000 - 25)), true, 'the old one is evicted');
  assert.equal(store.has('k'), false);
  assert.ok(store.reservedBytes <= 4096);
  store.close();
});
