import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type EvictionPolicy, MemoryStore } from 'tiercache/memory';

const VALUE = 'v'.repeat(100);

function filled(eviction: EvictionPolicy, keys: number): MemoryStore {
  const store = new MemoryStore({ shards: 1, maxBytes: 8 << 20, budget: null, eviction });
  for (let i = 0; i < keys; i++) assert.equal(store.set(`key:${i}`, VALUE), true);
  return store;
}

test("'adaptive' counts its sketch in reservedBytes: 3 bytes per index slot (as s3fifo's ghost) + 256", () => {
  for (const keys of [1_000, 5_000, 20_000]) {
    const fifo = filled('fifo', keys);
    const s3fifo = filled('s3fifo', keys);
    const adaptive = filled('adaptive', keys);
    const sketchBytes = adaptive.reservedBytes - fifo.reservedBytes;
    // The index holds `keys` at 35-70 % load: a power of two between keys / 0.7 and keys / 0.35.
    const slots = (sketchBytes - 256) / 3;
    assert.ok(Number.isInteger(Math.log2(slots)), `${keys} keys: ${sketchBytes} sketch bytes`);
    assert.ok(slots >= keys / 0.7 && slots <= keys / 0.35, `${keys} keys: ${slots} index slots`);
    // No byte per entry beyond s3fifo's: the sketch costs what the ghost queue costs, plus its
    // 256-byte buffer of hits per shard.
    assert.equal(adaptive.reservedBytes, s3fifo.reservedBytes + 256);
    for (const store of [fifo, s3fifo, adaptive]) store.close();
  }
});
