// Leak test (run with --expose-gc, as `npm test` does): stores dropped without close() must be
// collected, and the FinalizationRegistry must give their budget bytes back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import {
  DEFAULT_MANY_STORES_THRESHOLD,
  MemoryBudget,
  MemoryStore,
  memoryStores,
  setManyStoresThreshold,
} from 'tiercache/memory';

const gc = globalThis.gc as () => void;

// deref() keeps its target alive until the current job ends, so collect and look in different
// turns of the event loop.
async function collectUntil(done: () => boolean): Promise<boolean> {
  for (let round = 0; round < 50; round++) {
    await tick();
    gc();
    await tick();
    if (done()) return true;
  }
  return false;
}

// ArrayBuffers of collected objects are freed by a background sweeper after the GC: settle it.
async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 3; i++) {
    gc();
    await tick();
  }
  return process.memoryUsage();
}

function createAndDrop(count: number, budget: MemoryBudget, refs: WeakRef<MemoryStore>[]): void {
  for (let i = 0; i < count; i++) {
    // Each store holds data and has a running sweep timer, like a per-room cache would.
    const store = new MemoryStore({
      name: `dropped-${i}`,
      budget,
      ttlMs: 60_000,
      sweepIntervalMs: 30_000,
    });
    store.set(`room:${i}`, 'state'.repeat(20));
    refs.push(new WeakRef(store));
  }
}

test('10,000 stores dropped without close() are collected and their budget bytes return', async () => {
  assert.equal(typeof gc, 'function', 'run with --expose-gc');
  setManyStoresThreshold(Number.POSITIVE_INFINITY);
  try {
    const budget = new MemoryBudget({ maxBytes: 2 ** 30, name: 'leak-test' });
    const refs: WeakRef<MemoryStore>[] = [];
    createAndDrop(10_000, budget, refs);
    assert.equal(budget.stores, 10_000);
    assert.ok(budget.reservedBytes > 10_000 * 4096, 'the stores really held memory');
    const collected = await collectUntil(
      () => refs.every((ref) => ref.deref() === undefined) && budget.reservedBytes === 0,
    );
    assert.ok(
      collected,
      `still alive: ${refs.filter((r) => r.deref() !== undefined).length} stores`,
    );
    assert.equal(budget.reservedBytes, 0, 'every reservation came back');
    assert.equal(budget.stores, 0);
    assert.equal(memoryStores().filter((s) => s.name.startsWith('dropped-')).length, 0);
  } finally {
    setManyStoresThreshold(DEFAULT_MANY_STORES_THRESHOLD);
  }
});

test('the process heap does not keep what dropped stores held', async () => {
  setManyStoresThreshold(Number.POSITIVE_INFINITY);
  try {
    const budget = new MemoryBudget({ maxBytes: 2 ** 30 });
    const refs: WeakRef<MemoryStore>[] = [];
    createAndDrop(2000, budget, refs);
    refs.length = 0;
    await collectUntil(() => budget.reservedBytes === 0);
    const baseline = await settledMemory();
    for (let round = 0; round < 5; round++) {
      createAndDrop(2000, budget, refs);
      refs.length = 0;
      await collectUntil(() => budget.reservedBytes === 0);
    }
    const after = await settledMemory();
    const grown = after.heapUsed + after.arrayBuffers - (baseline.heapUsed + baseline.arrayBuffers);
    // 10,000 more stores came and went; what they held (> 40 MB) must not have stayed.
    assert.ok(grown < 4 * 1024 * 1024, `heap + arrayBuffers grew by ${grown} bytes`);
  } finally {
    setManyStoresThreshold(DEFAULT_MANY_STORES_THRESHOLD);
  }
});
