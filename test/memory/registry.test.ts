import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { InvalidArgumentError, WarningCodes } from 'tiercache/errors';
import {
  DEFAULT_MANY_STORES_THRESHOLD,
  MemoryStore,
  manyStoresThreshold,
  memoryStores,
  setManyStoresThreshold,
} from 'tiercache/memory';

test('memoryStores() lists live stores with their figures and creation site', () => {
  const before = Date.now();
  const store = new MemoryStore({ name: 'listed', maxBytes: 1 << 20, budget: null });
  store.set('a', 'x'.repeat(100));
  const info = memoryStores().find((s) => s.name === 'listed');
  assert.ok(info, 'the store is listed');
  assert.equal(info.size, 1);
  assert.equal(info.usedBytes, store.usedBytes);
  assert.equal(info.reservedBytes, store.reservedBytes);
  assert.equal(info.maxBytes, 1 << 20);
  assert.ok(info.createdAt >= before && info.createdAt <= Date.now());
  assert.match(info.createdBy, /registry\.test\.ts:\d+:\d+/, 'the first frame outside tiercache');
  assert.doesNotMatch(info.createdBy, /src[\\/]memory/);
  store.close();
  assert.equal(
    memoryStores().find((s) => s.name === 'listed'),
    undefined,
  );
});

function createRoomCache(rid: number): MemoryStore {
  return new MemoryStore({ name: `room-${rid}`, shards: 1024, maxBytes: 500 * 1024 * 1024 });
}

test('more than the threshold of live stores from one site warns once, naming the site', async () => {
  assert.equal(manyStoresThreshold(), DEFAULT_MANY_STORES_THRESHOLD);
  setManyStoresThreshold(8);
  const warnings: Error[] = [];
  const listener = (warning: Error) => warnings.push(warning);
  process.on('warning', listener);
  try {
    const rooms = Array.from({ length: 8 }, (_, rid) => createRoomCache(rid));
    await tick();
    assert.equal(warnings.length, 0, 'at the threshold: no warning yet');
    rooms.push(createRoomCache(8));
    for (let rid = 9; rid < 40; rid++) rooms.push(createRoomCache(rid));
    await tick();
    assert.equal(warnings.length, 1, 'exactly one warning for the site');
    const [warning] = warnings;
    assert.equal((warning as Error & { code?: string }).code, WarningCodes.MANY_STORES);
    assert.match(warning!.message, /createRoomCache/);
    assert.match(warning!.message, /registry\.test\.ts:\d+/);
    assert.match(warning!.message, /shared/);
    // A different site has its own count.
    const elsewhere = new MemoryStore({ name: 'elsewhere' });
    await tick();
    assert.equal(warnings.length, 1);
    elsewhere.close();
    for (const room of rooms) room.close();
  } finally {
    process.off('warning', listener);
    setManyStoresThreshold(DEFAULT_MANY_STORES_THRESHOLD);
  }
});

test('setManyStoresThreshold refuses nonsense', () => {
  assert.throws(() => setManyStoresThreshold(0), InvalidArgumentError);
  assert.throws(() => setManyStoresThreshold(Number.NaN), InvalidArgumentError);
});
