import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrequencySketch } from '../../src/memory/frequency-sketch.ts';
import { SHADOW_SHARES, ShadowSample } from '../../src/memory/shadow-sample.ts';

const CAPACITY = 64;
/** The shard's entries: four times a shadow's, so every shadow runs at the highest rate, 1/4. */
const ENTRIES = 4 * CAPACITY;

/** Distinct 32-bit hashes, spread like a real hash function's output. */
function hashOf(i: number): number {
  const h = Math.imul(i + 1, 0x9e3779b1);
  return Math.imul(h ^ (h >>> 15), 0x85ebca77) ^ 0x5bd1e995;
}

/** A sample at the highest rate over a shard of {@link ENTRIES}, with the sketch it admits by. */
function sample(): { shadow: ShadowSample; request: (key: number) => void } {
  const shadow = new ShadowSample(CAPACITY, 0.3);
  shadow.scaleTo(ENTRIES);
  const sketch = new FrequencySketch(1024);
  return {
    shadow,
    // As the shard does: every request is counted in the sketch, sampled ones replayed.
    request(key) {
      const hash = hashOf(key);
      sketch.increment(hash);
      if (shadow.sampled(hash)) shadow.access(hash, sketch, true);
    },
  };
}

test('a hot set beside a stream of one-time keys: the smallest share wins', () => {
  // 90 % of the entries are hot and asked for again and again; between two hot requests comes
  // a key never seen before or after. A small queue that holds little leaves main room for the
  // whole hot set; at 30 or 60 % main holds only part of it.
  const { shadow, request } = sample();
  const hot = Math.floor(ENTRIES * 0.9);
  let fresh = 1_000_000;
  for (let i = 0; i < 400_000; i++) {
    request(i % hot);
    request(fresh++);
  }
  assert.ok(shadow.share < 0.1, `share ${shadow.share}`);
});

test('keys asked for twice, 40 % of the entries apart: the largest share wins', () => {
  // Each new key comes back once, after 40 % of the entries' worth of other new keys: only a
  // small queue larger than that (60 %) still holds it; the sketch has seen it once, so
  // admission does not save it from a smaller one.
  const { shadow, request } = sample();
  const distance = Math.floor(ENTRIES * 0.4);
  for (let i = 0; i < 400_000; i++) {
    request(i);
    if (i >= distance) request(i - distance);
  }
  assert.ok(shadow.share > 0.45, `share ${shadow.share}`);
});

test('the share stays within the simulated shares, whatever the requests', () => {
  const { shadow, request } = sample();
  let seed = 7;
  const low = Math.min(...SHADOW_SHARES);
  const high = Math.max(...SHADOW_SHARES);
  for (let i = 0; i < 200_000; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    // Phases of different key ranges and skews.
    const range = 50 + ((i >>> 14) % 4) * 400;
    request((seed >>> 8) % range);
    if (i % 1000 === 0) {
      assert.ok(shadow.share >= low && shadow.share <= high, `share ${shadow.share}`);
    }
  }
});

test('the sample rate follows the shard size and sampled hashes leave bits 28-29 free', () => {
  const shadow = new ShadowSample(CAPACITY, 0.1);
  for (const entries of [10, ENTRIES, 10_000, 1_000_000]) {
    shadow.scaleTo(entries);
    let sampled = 0;
    const total = 400_000;
    for (let i = 0; i < total; i++) {
      const hash = hashOf(i);
      if (!shadow.sampled(hash)) continue;
      sampled++;
      // A shadow keeps its read count in these two bits of the stored hash.
      assert.equal(hash & 0x30000000, 0);
    }
    // At most a quarter of the keys; otherwise the capacity's share of the shard's entries.
    const rate = Math.min(0.25, CAPACITY / entries);
    const expected = total * rate;
    assert.ok(
      Math.abs(sampled - expected) <= Math.max(40, expected * 0.1),
      `${entries} entries: ${sampled} sampled, expected about ${expected}`,
    );
  }
});

test('bytes: four per shadow entry and a fixed part, whatever the rate', () => {
  assert.equal(ShadowSample.bytesFor(CAPACITY), SHADOW_SHARES.length * (4 * CAPACITY + 36));
  const shadow = new ShadowSample(CAPACITY, 0.1);
  const before = shadow.bytes;
  shadow.scaleTo(1_000_000);
  assert.equal(shadow.bytes, before);
});
