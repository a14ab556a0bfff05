/**
 * The replay behind bench/traces.ts and bench/trace-point.ts: the docs' miss-ratio tables are
 * only as good as its counting and its calibration to equal entries held.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReplayTrace } from '../../bench/_trace-files.ts';
import {
  HELD_TOLERANCE,
  keysOf,
  REFERENCES,
  type ReplaySetup,
  replayAtCapacity,
  replayReference,
  replayStore,
} from '../../bench/_trace-replay.ts';
import { seededRandom } from '../helpers/random.ts';

/** Dense ids in order of first request, as the trace loader makes them. */
function traceOf(ids: readonly number[]): ReplayTrace {
  const dense = new Map<number, number>();
  const requests = Int32Array.from(ids, (id) => {
    let d = dense.get(id);
    if (d === undefined) {
      d = dense.size;
      dense.set(id, d);
    }
    return d;
  });
  return { name: 'synthetic', requests, distinct: dense.size, fileRequests: ids.length };
}

/** Skewed requests over `keys` keys: a few hot, a long tail. */
function skewed(requests: number, keys: number, seed: number): ReplayTrace {
  const random = seededRandom(seed);
  return traceOf(Array.from({ length: requests }, () => Math.floor(keys * random() ** 3)));
}

test('block counts add up to the misses, for the store and for every reference cache', () => {
  const trace = skewed(30_000, 3_000, 1);
  const setup: ReplaySetup = { trace, keys: keysOf(trace), seed: 1, blockSize: 7_000 };
  const store = replayStore(setup, 'adaptive', 64 * 1024, 0, trace.requests.length);
  assert.equal(store.blockMisses.length, Math.ceil(30_000 / 7_000));
  assert.equal(
    store.blockMisses.reduce((a, b) => a + b, 0),
    store.misses,
  );
  for (const name of REFERENCES) {
    const run = replayReference(setup, name, 300);
    assert.equal(run.blockMisses.length, 5, name);
    assert.equal(
      run.blockMisses.reduce((a, b) => a + b, 0),
      run.misses,
      name,
    );
    // Every key's first request misses; a 300-entry cache misses more on 3,000 keys.
    assert.ok(run.misses > trace.distinct && run.misses < trace.requests.length, name);
  }
});

test('misses are counted as a cache of that size would: a loop one key too long for LRU', () => {
  // 101 keys in a cycle through 100 entries: LRU evicts each key just before it comes back.
  const ids = Array.from({ length: 10_100 }, (_, i) => i % 101);
  const trace = traceOf(ids);
  const setup: ReplaySetup = { trace, keys: keysOf(trace) };
  assert.equal(replayReference(setup, 'lru-cache', 100).misses, 10_100);
  // With room for every key, only the first request of each misses, for every cache.
  assert.equal(replayReference(setup, 'lru-cache', 101).misses, 101);
  const roomy = replayStore(setup, 's3fifo', 1024 * 1024, 0, trace.requests.length);
  assert.equal(roomy.misses, 101);
});

test('calibration brings a store to the capacity in entries held, within the tolerance', () => {
  const trace = skewed(120_000, 20_000, 2);
  const setup: ReplaySetup = { trace, keys: keysOf(trace), seed: 3 };
  for (const [policy, capacity] of [
    ['s3fifo', 2_000],
    ['adaptive', 1_500],
  ] as const) {
    const run = replayAtCapacity(setup, policy, capacity);
    const error = Math.abs(run.meanHeld / capacity - 1);
    // The docs allow the smallest stores up to 1 % (entries held move in steps of a chunk);
    // these are large enough for the 0.1 % the replay aims at, with a little slack.
    assert.ok(error <= HELD_TOLERANCE * 3, `${policy} held ${run.meanHeld} for ${capacity}`);
  }
});
