import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { WarningCodes } from 'tiercache/errors';
import {
  DEFAULT_MANY_STORES_THRESHOLD,
  MemoryStore,
  memoryStores,
  setManyStoresThreshold,
} from 'tiercache/memory';

function createRoomCache(rid: number): MemoryStore {
  return new MemoryStore({ name: `rearm-${rid}`, maxBytes: 1024 * 1024, budget: null });
}

test('TIERCACHE_MANY_STORES warns again for a second episode once the site went below the threshold', async () => {
  setManyStoresThreshold(4);
  const warnings: Error[] = [];
  const listener = (warning: Error & { code?: string }) => {
    if (warning.code === WarningCodes.MANY_STORES) warnings.push(warning);
  };
  process.on('warning', listener);
  try {
    const episode = async () => {
      const rooms = Array.from({ length: 8 }, (_, rid) => createRoomCache(rid));
      await tick();
      return rooms;
    };
    const first = await episode();
    assert.equal(warnings.length, 1, 'the first episode warns once');
    // Down to the threshold, not below it: still armed off.
    for (const room of first.splice(0, 4)) room.close();
    first.push(createRoomCache(100));
    await tick();
    assert.equal(warnings.length, 1, 'no second warning without going below the threshold');
    // Below the threshold (3 live), then over it again: it warns again.
    for (const room of first.splice(0, 2)) room.close();
    first.push(createRoomCache(101), createRoomCache(102));
    await tick();
    assert.equal(warnings.length, 2, 'a site that went below the threshold warns again');
    for (const room of first) room.close();
    const second = await episode();
    assert.equal(warnings.length, 3, 'and so does a site that went away and came back');
    for (const room of second) room.close();
  } finally {
    process.off('warning', listener);
    setManyStoresThreshold(DEFAULT_MANY_STORES_THRESHOLD);
  }
});

test('creation sites are relative to the working directory', () => {
  const store = createRoomCache(1);
  try {
    const info = memoryStores().find((s) => s.name === 'rearm-1');
    assert.match(
      info!.createdBy,
      /^createRoomCache \(test\/memory\/registry-rearm\.test\.ts:\d+:\d+\)$/,
    );
  } finally {
    store.close();
  }
});
