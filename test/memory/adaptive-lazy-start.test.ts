import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type EvictionPolicy, MemoryBudget, MemoryStore } from 'tiercache/memory';
import { AdaptivePolicy } from '../../src/memory/adaptive-policy.ts';
import { FrequencySketch } from '../../src/memory/frequency-sketch.ts';
import { GhostQueue } from '../../src/memory/ghost-queue.ts';
import type { PolicyHost } from '../../src/memory/policy.ts';
import { ShadowSample } from '../../src/memory/shadow-sample.ts';
import { HASH_FUNCTION, POLICY_FACTORY } from '../../src/memory/test-hooks.ts';

const VALUE = 'v'.repeat(100);

/** A well-spread hash the test can compute: key `k:N` hashes from N. */
function hashOf(key: string): number {
  const h = Math.imul(Number(key.slice(2)) + 1, 0x9e3779b1);
  return h ^ (h >>> 15);
}

/** An `adaptive` store of one shard (its first key set) whose policy the test can look at. */
function adaptiveStore(maxBytes: number, budget: MemoryBudget | null = null) {
  const policies: AdaptivePolicy[] = [];
  const hooks: object = {
    [HASH_FUNCTION]: hashOf,
    [POLICY_FACTORY]: (host: PolicyHost) => {
      const policy = new AdaptivePolicy(host);
      policies.push(policy);
      return policy;
    },
  };
  const store = new MemoryStore({ shards: 1, maxBytes, budget, sweepIntervalMs: 0, ...hooks });
  store.set('k:0', VALUE);
  assert.equal(policies.length, 1);
  return { store, policy: policies[0]! };
}

/** A store of one shard under a named policy, with the same hash. */
function namedStore(eviction: EvictionPolicy, maxBytes: number): MemoryStore {
  const hook: object = { [HASH_FUNCTION]: hashOf };
  const store = new MemoryStore({
    shards: 1,
    maxBytes,
    budget: null,
    sweepIntervalMs: 0,
    eviction,
    ...hook,
  });
  store.set('k:0', VALUE);
  return store;
}

/**
 * What `adaptive` reserves beyond `s3fifo` for an index whose policy bytes are `policyBytes`
 * (docs/memory-store.md, "Costs"): its sketch (3 bytes per index slot, as the ghost queue of
 * `s3fifo`, at least 32 slots' worth, plus a 256-byte buffer of hits) and its shadow sample
 * (0.7 bytes per slot), less `s3fifo`'s ghost queue. For an index of 1,024 slots or more.
 */
function beyondS3fifo(policyBytes: number): number {
  for (let slots = 1024; slots <= 1 << 24; slots *= 2) {
    const entries = Math.min(128, Math.floor((slots * 0.7) / 12));
    const shadow = entries >= 16 ? ShadowSample.bytesFor(entries) : 0;
    const sketch = FrequencySketch.bytesFor(Math.max(32, slots));
    if (sketch + shadow === policyBytes) return sketch + shadow - GhostQueue.bytesFor(slots / 4);
  }
  throw new Error(`${policyBytes} policy bytes match no index size`);
}

test("'adaptive' below half its limit: its sketch and shadow sample are reserved, not allocated, and count nothing", () => {
  const maxBytes = 8 << 20;
  const keys = 20_000;
  const s3fifo = namedStore('s3fifo', maxBytes);
  const { store, policy } = adaptiveStore(maxBytes);
  for (let i = 1; i < keys; i++) {
    s3fifo.set(`k:${i}`, VALUE);
    store.set(`k:${i}`, VALUE);
  }
  for (let i = 0; i < keys; i++) assert.equal(store.getString(`k:${i}`), VALUE);
  assert.ok(store.reservedBytes < maxBytes / 2, 'the fill stays below half the limit');
  assert.equal(store.stats().evictions, 0);
  assert.equal(policy.counting, false);
  assert.equal(policy.allocatedBytes, 0, 'no sketch or shadow arrays');
  assert.equal(policy.frequency(hashOf('k:5')), 0, 'nothing counted');
  // Reserved from the start all the same, as documented.
  assert.ok(policy.bytes > 3 * 1024);
  assert.equal(store.reservedBytes - s3fifo.reservedBytes, beyondS3fifo(policy.bytes));
  store.close();
  s3fifo.close();
});

test("'adaptive' starts counting when its reserved bytes reach half its limit, and reservedBytes does not jump", () => {
  const maxBytes = 1 << 20;
  const { store, policy } = adaptiveStore(maxBytes);
  const fifo = namedStore('fifo', maxBytes);
  let i = 1;
  for (; !policy.counting; i++) {
    assert.ok(i < 20_000, 'never started');
    const before = store.reservedBytes;
    const policyBytes = policy.bytes;
    store.set(`k:${i}`, VALUE);
    fifo.set(`k:${i}`, VALUE);
    // Filled alike, the two differ by exactly the policy's bytes (fifo keeps no arrays), before
    // the start and at the set that starts it: what is then allocated was reserved already.
    assert.equal(store.reservedBytes - fifo.reservedBytes, policy.bytes);
    if (policy.counting) {
      assert.ok(before >= maxBytes / 2, `started at ${before} bytes`);
      assert.equal(policy.bytes, policyBytes, 'the starting set did not resize the index');
    }
  }
  assert.equal(store.stats().evictions, 0, 'started before the first eviction');
  assert.equal(policy.allocatedBytes, policy.bytes, 'the reserved arrays are allocated');
  // Now the sketch counts: a new key (its first request, in the doorkeeper), then two hits.
  const key = `k:${i}`;
  store.set(key, VALUE);
  assert.equal(policy.frequency(hashOf(key)), 1);
  store.getString(key);
  store.getString(key);
  assert.equal(policy.frequency(hashOf(key)), 3);
  store.close();
  fifo.close();
});

test("'adaptive' under a budget that refuses memory starts counting at its first eviction", () => {
  const budget = new MemoryBudget({ maxBytes: 256 * 1024 });
  const { store, policy } = adaptiveStore(8 << 20, budget);
  for (let i = 1; store.stats().evictions === 0; i++) {
    assert.ok(i < 20_000, 'never evicted');
    assert.equal(policy.counting, false, `counting before the first eviction (key ${i})`);
    store.set(`k:${i}`, VALUE);
  }
  assert.ok(store.reservedBytes < (8 << 20) / 2);
  assert.equal(policy.counting, true);
  assert.equal(policy.allocatedBytes, policy.bytes);
  store.close();
});
