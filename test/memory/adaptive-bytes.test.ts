import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type EvictionPolicy, MemoryStore } from 'tiercache/memory';
import { ShadowSample } from '../../src/memory/shadow-sample.ts';

const VALUE = 'v'.repeat(100);

function filled(eviction: EvictionPolicy, keys: number): MemoryStore {
  const store = new MemoryStore({ shards: 1, maxBytes: 8 << 20, budget: null, eviction });
  for (let i = 0; i < keys; i++) assert.equal(store.set(`key:${i}`, VALUE), true);
  return store;
}

/** The shadow sample `adaptive` keeps for an index of `slots`: 0.7 bytes per slot, 3 shadows. */
function shadowBytes(slots: number): number {
  const entries = Math.min(128, Math.floor((slots * 0.7) / 12));
  return entries >= 16 ? ShadowSample.bytesFor(entries) : 0;
}

test("'adaptive' counts its sketch and shadow sample in reservedBytes: 3 bytes per index slot (as s3fifo's ghost) + 256, and at most 2 bytes per entry more", () => {
  for (const keys of [1_000, 5_000, 20_000]) {
    const fifo = filled('fifo', keys);
    const s3fifo = filled('s3fifo', keys);
    const adaptive = filled('adaptive', keys);
    const policyBytes = adaptive.reservedBytes - fifo.reservedBytes;
    // The index holds `keys` at 35-70 % load: a power of two between keys / 0.7 and keys / 0.35.
    let slots = 0;
    for (let s = 1; s <= keys / 0.35; s *= 2) {
      if (s >= keys / 0.7 && 3 * s + 256 + shadowBytes(s) === policyBytes) slots = s;
    }
    assert.ok(slots > 0, `${keys} keys: ${policyBytes} policy bytes match no index size`);
    // Beyond s3fifo's ghost queue (what the sketch costs, plus its 256-byte buffer of hits per
    // shard): the shadow sample, within 2 bytes per entry.
    const beyond = adaptive.reservedBytes - s3fifo.reservedBytes - 256;
    assert.equal(beyond, shadowBytes(slots));
    assert.ok(beyond > 0 && beyond <= 2 * keys, `${keys} keys: ${beyond} bytes of shadow sample`);
    for (const store of [fifo, s3fifo, adaptive]) store.close();
  }
});
