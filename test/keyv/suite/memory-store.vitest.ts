// The official Keyv adapter suite (API, values, namespaces) against KeyvMemoryStore, over a
// store each adapter owns and over one MemoryStore shared by every adapter. One adapter per Keyv,
// as with every Keyv store: Keyv writes its namespace onto the adapter it is given.
import keyvTestSuite from '@keyv/test-suite';
import Keyv from 'keyv';
import * as test from 'vitest';
import { KeyvMemoryStore } from '../../../src/keyv/index.ts';
import { MemoryStore } from '../../../src/memory/index.ts';

test.describe('KeyvMemoryStore owning its MemoryStore', () => {
  // Closed after each test: the suite asks for a new store many times, and more than 64 live
  // stores from one line would (rightly) raise TIERCACHE_MANY_STORES.
  const open: KeyvMemoryStore[] = [];
  test.afterEach(async () => {
    for (const adapter of open.splice(0)) await adapter.disconnect();
  });
  keyvTestSuite(test, Keyv, () => {
    const adapter = new KeyvMemoryStore({ maxBytes: 2 ** 20 });
    open.push(adapter);
    return adapter;
  });
});

test.describe('KeyvMemoryStore per Keyv, over one shared MemoryStore', () => {
  const shared = new MemoryStore({ name: 'keyv-suite-shared', maxBytes: 8 * 2 ** 20 });
  keyvTestSuite(test, Keyv, () => new KeyvMemoryStore(shared));
});
