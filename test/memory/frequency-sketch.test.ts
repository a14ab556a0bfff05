import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrequencySketch } from '../../src/memory/frequency-sketch.ts';

/** Distinct 32-bit hashes, spread like a real hash function's output. */
function hashOf(i: number): number {
  return Math.imul(i + 1, 0x9e3779b1) ^ 0x5bd1e995;
}

test('the first request only reaches the doorkeeper; later ones the counters', () => {
  const sketch = new FrequencySketch(1024);
  const h = hashOf(7);
  assert.equal(sketch.estimate(h), 0);
  sketch.increment(h);
  assert.equal(sketch.estimate(h), 1, 'doorkeeper bit');
  sketch.increment(h);
  sketch.increment(h);
  assert.equal(sketch.estimate(h), 3);
});

test('estimates never fall below the true count (before aging) and saturate at 16', () => {
  const sketch = new FrequencySketch(256);
  // 200 keys, key i requested (i % 7) + 1 times: 800 requests, below the aging sample (1,024).
  for (let i = 0; i < 200; i++) for (let n = 0; n <= i % 7; n++) sketch.increment(hashOf(i));
  for (let i = 0; i < 200; i++) {
    assert.ok(sketch.estimate(hashOf(i)) >= (i % 7) + 1, `key ${i}`);
  }
  const hot = hashOf(10_000);
  for (let n = 0; n < 40; n++) sketch.increment(hot);
  assert.equal(sketch.estimate(hot), 16, '15 in the counters plus the doorkeeper');
});

test('aging halves the counters and clears the doorkeeper', () => {
  const width = 64;
  const sketch = new FrequencySketch(width);
  const hot = hashOf(1);
  for (let n = 0; n < 13; n++) sketch.increment(hot); // doorkeeper + 12
  assert.equal(sketch.estimate(hot), 13);
  // Requests of other keys until the sample (4 x width) is complete: one halving.
  for (let i = 0; i < width * 4 - 13; i++) sketch.increment(hashOf(1000 + i));
  const after = sketch.estimate(hot);
  // 12 halved is 6, plus what colliding keys added to the least counter; the doorkeeper is gone.
  assert.ok(after >= 6 && after < 12, `estimate after aging: ${after}`);
});

test('bytes: 2 per counter column, a doorkeeper byte, and the 64-hash buffer of hits', () => {
  const sketch = new FrequencySketch(4096);
  assert.equal(sketch.bytes, 4096 * 3 + 256);
  assert.equal(FrequencySketch.bytesFor(4096), sketch.bytes);
});

test('hits counted later reach the counters before the next estimate; a full buffer drops', () => {
  const sketch = new FrequencySketch(1024);
  const a = hashOf(3);
  const b = hashOf(4);
  sketch.increment(a); // both into the doorkeeper
  sketch.increment(b);
  for (let n = 0; n < 5; n++) sketch.incrementLater(a);
  assert.equal(sketch.estimate(a), 6, 'the five buffered hits were counted');
  for (let n = 0; n < 64; n++) sketch.incrementLater(a); // fills the buffer
  for (let n = 0; n < 10; n++) sketch.incrementLater(b); // dropped
  assert.equal(sketch.estimate(b), 1, 'the hits of b found the buffer full');
  assert.equal(sketch.estimate(a), 16, 'a saturated: 15 in the counters plus the doorkeeper');
});

test('peek leaves the buffered hits uncounted', () => {
  const sketch = new FrequencySketch(1024);
  const h = hashOf(3);
  sketch.increment(h);
  sketch.increment(h); // doorkeeper + 1
  for (let n = 0; n < 3; n++) sketch.incrementLater(h);
  assert.equal(sketch.peek(h), 2, 'the three buffered hits are not counted');
  assert.equal(sketch.peek(h), 2);
  assert.equal(sketch.estimate(h), 5, 'estimate counts them');
  assert.equal(sketch.peek(h), 5);
});

test('resized keeps every estimate when growing, and starts empty when shrinking', () => {
  const sketch = new FrequencySketch(256);
  // 300 keys, key i requested (i % 5) + 1 times: 900 requests, below the aging sample (1,024).
  for (let i = 0; i < 300; i++) for (let n = 0; n <= i % 5; n++) sketch.increment(hashOf(i));
  const before = Array.from({ length: 400 }, (_, i) => sketch.estimate(hashOf(i)));
  assert.ok(before.some((e) => e > 1));

  for (const width of [512, 4096]) {
    const grown = sketch.resized(width);
    assert.equal(grown.width, width);
    for (let i = 0; i < 400; i++) {
      assert.equal(grown.estimate(hashOf(i)), before[i], `key ${i} at width ${width}`);
    }
  }
  const shrunk = sketch.resized(64);
  assert.equal(shrunk.width, 64);
  for (let i = 0; i < 400; i++) assert.equal(shrunk.estimate(hashOf(i)), 0, `key ${i}`);
  // The original is untouched, and a copy counts on its own.
  const grown = sketch.resized(1024);
  grown.increment(hashOf(3));
  assert.equal(sketch.estimate(hashOf(3)), before[3]);
  assert.equal(grown.estimate(hashOf(3)), before[3]! + 1);
});

test('resized carries the buffered hits and the progress towards the next halving', () => {
  const sketch = new FrequencySketch(64); // halves after 256 counted requests
  const h = hashOf(1);
  for (let n = 0; n < 10; n++) sketch.increment(h);
  for (let i = 0; i < 200; i++) sketch.increment(hashOf(1000 + i)); // 210 counted
  for (let n = 0; n < 3; n++) sketch.incrementLater(h);
  const grown = sketch.resized(128); // halves after 512
  const before = grown.estimate(h); // counts the 3 buffered hits: 213 counted
  assert.ok(before >= 13, `buffered hits carried: ${before}`);
  // 290 more: 503 counted in all, not yet 512.
  for (let i = 0; i < 290; i++) grown.increment(hashOf(5000 + i));
  assert.ok(grown.estimate(h) >= before, 'not halved before 512 (collisions may only add)');
  // 20 more: past 512 only because the 213 counted before the resize carried over.
  for (let i = 0; i < 20; i++) grown.increment(hashOf(9000 + i));
  assert.ok(grown.estimate(h) <= before / 2 + 1, `halved: ${grown.estimate(h)}`);
});
