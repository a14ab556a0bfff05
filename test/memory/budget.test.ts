import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { test } from 'node:test';
import { ErrorCodes, InvalidOptionError } from 'tiercache/errors';
import {
  DEFAULT_MEMORY_FRACTION,
  defaultMemoryBudget,
  defaultMemoryLimit,
  MemoryBudget,
  MemoryStore,
} from 'tiercache/memory';

test('stores on one budget never reserve more than it together; each evicts its own', () => {
  const budget = new MemoryBudget({ maxBytes: 512 * 1024, name: 'rooms' });
  const stores = Array.from(
    { length: 3 },
    (_, i) => new MemoryStore({ name: `room-${i}`, shards: 2, maxBytes: 512 * 1024, budget }),
  );
  assert.equal(budget.stores, 3);
  for (let i = 0; i < 30_000; i++) {
    const store = stores[i % 3]!;
    store.set(`k${i}`, 'v'.repeat(80 + (i % 40)));
    const sum = stores.reduce((total, s) => total + s.reservedBytes, 0);
    assert.equal(budget.reservedBytes, sum);
    assert.ok(sum <= budget.maxBytes, `sum ${sum} > budget ${budget.maxBytes}`);
  }
  for (const store of stores) {
    assert.ok(store.size > 0, `${store.name} keeps entries`);
    assert.ok(store.stats().evictions > 0, `${store.name} evicted its own entries`);
    // The newest entry of each store is always there: a full budget evicts old, not new.
    const newest = 29_999 - ((29_999 - stores.indexOf(store)) % 3);
    assert.ok(store.has(`k${newest}`), `${store.name} holds its newest entry`);
  }
  for (const store of stores) store.close();
  assert.equal(budget.reservedBytes, 0);
  assert.equal(budget.stores, 0);
});

test('a store short of budget takes memory from its own other shards, not from failing', () => {
  const budget = new MemoryBudget({ maxBytes: 64 * 1024 });
  const store = new MemoryStore({
    shards: 4,
    maxBytes: 16 * 1024 * 1024,
    maxEntryBytes: 40 * 1024,
    budget,
  });
  for (let i = 0; i < 5000; i++) assert.equal(store.set(`small:${i}`, 'v'.repeat(100)), true);
  assert.ok(budget.availableBytes < 4096, 'the small entries filled the budget across all shards');
  // Larger than any one shard's share of the budget: its shard must borrow from the others.
  const big = 'B'.repeat(36 * 1024);
  assert.equal(store.set('big', big), true);
  assert.equal(store.getString('big'), big);
  assert.ok(budget.reservedBytes <= budget.maxBytes);
  assert.ok(store.size > 1, 'other entries survive');
  store.close();
});

test('a store on a full budget takes memory from the store holding the most, never locked out', async () => {
  const budget = new MemoryBudget({ maxBytes: 64 * 1024 });
  const evicted: string[] = [];
  const greedy = new MemoryStore({
    shards: 1,
    maxBytes: 64 * 1024,
    budget,
    onRemove: (key, _value, reason) => {
      if (reason === 'evicted') evicted.push(key);
    },
  });
  for (let i = 0; i < 5000; i++) greedy.set(`k${i}`, 'v'.repeat(100));
  assert.ok(budget.availableBytes < 4096, 'the first store filled the budget');
  const greedyEvictions = greedy.stats().evictions;
  evicted.length = 0;
  const late = new MemoryStore({ shards: 1, maxBytes: 64 * 1024, budget });
  let stored = 0;
  for (let i = 0; i < 1000; i++) {
    if (late.set(`late:${i}`, 'w'.repeat(100))) stored++;
    const sum = greedy.reservedBytes + late.reservedBytes;
    assert.equal(budget.reservedBytes, sum);
    assert.ok(sum <= budget.maxBytes, `sum ${sum} > budget ${budget.maxBytes}`);
  }
  assert.equal(stored, 1000, 'every set of the late store succeeded');
  assert.ok(late.size > 0, 'the late store holds entries');
  assert.ok(late.has('late:999'), 'and its newest one');
  assert.ok(greedy.size > 0, 'the first store keeps entries too');
  // Shares converge: each holds a good part of the budget.
  assert.ok(late.reservedBytes >= budget.maxBytes * 0.3, `late holds ${late.reservedBytes}`);
  assert.ok(greedy.reservedBytes >= budget.maxBytes * 0.3, `greedy holds ${greedy.reservedBytes}`);
  // The first store's entries went by its own eviction, reported to its onRemove (after a tick).
  assert.ok(greedy.stats().evictions > greedyEvictions);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(evicted.length, greedy.stats().evictions - greedyEvictions);
  for (const key of evicted) assert.equal(greedy.has(key), false);
  greedy.close();
  late.close();
  assert.equal(budget.reservedBytes, 0);
});

test('a store never takes memory from one holding less than it', () => {
  const budget = new MemoryBudget({ maxBytes: 64 * 1024 });
  const small = new MemoryStore({ shards: 1, maxBytes: 64 * 1024, budget });
  for (let i = 0; i < 20; i++) small.set(`s${i}`, 'v'.repeat(100));
  const smallBytes = small.reservedBytes;
  const big = new MemoryStore({ shards: 1, maxBytes: 64 * 1024, budget });
  for (let i = 0; i < 5000; i++) assert.equal(big.set(`b${i}`, 'v'.repeat(100)), true);
  assert.ok(big.stats().evictions > 0, 'the big store evicted its own entries');
  assert.equal(small.size, 20, 'the small store lost nothing');
  assert.equal(small.reservedBytes, smallBytes);
  assert.ok(small.reservedBytes + big.reservedBytes <= budget.maxBytes);
  small.close();
  big.close();
});

test('snapshot() exposes the figures for diagnostics', () => {
  const budget = new MemoryBudget({ maxBytes: 1 << 20, name: 'b' });
  const store = new MemoryStore({ budget });
  store.set('k', 'v');
  const snapshot = budget.snapshot();
  assert.deepEqual(snapshot, {
    name: 'b',
    maxBytes: 1 << 20,
    reservedBytes: store.reservedBytes,
    stores: 1,
  });
  assert.ok(Object.isFrozen(snapshot));
  assert.equal(budget.availableBytes, (1 << 20) - store.reservedBytes);
  store.close();
});

test('stores use the process budget by default; budget: null opts out', () => {
  const shared = new MemoryStore();
  assert.equal(shared.budget, defaultMemoryBudget());
  const before = defaultMemoryBudget().reservedBytes;
  shared.set('k', 'v');
  assert.equal(defaultMemoryBudget().reservedBytes - before, shared.reservedBytes);
  const alone = new MemoryStore({ budget: null });
  alone.set('k', 'v');
  assert.equal(alone.budget, null);
  assert.equal(defaultMemoryBudget().reservedBytes - before, shared.reservedBytes);
  shared.close();
  alone.close();
});

test('the default limit comes from TIERCACHE_MEMORY_LIMIT, with units', () => {
  assert.equal(defaultMemoryLimit({ TIERCACHE_MEMORY_LIMIT: '1048576' }), 1048576);
  assert.equal(defaultMemoryLimit({ TIERCACHE_MEMORY_LIMIT: '512MiB' }), 512 * 1024 ** 2);
  assert.equal(defaultMemoryLimit({ TIERCACHE_MEMORY_LIMIT: '2GiB' }), 2 * 1024 ** 3);
  assert.equal(defaultMemoryLimit({ TIERCACHE_MEMORY_LIMIT: '1.5GB' }), 1.5e9);
});

test('an invalid TIERCACHE_MEMORY_LIMIT is a clear error naming the variable', () => {
  for (const bad of ['lots', '-5', '0', '12 parsecs', '1e9']) {
    assert.throws(
      () => defaultMemoryLimit({ TIERCACHE_MEMORY_LIMIT: bad }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidOptionError);
        assert.equal(error.code, ErrorCodes.INVALID_OPTION);
        assert.equal(error.option, 'TIERCACHE_MEMORY_LIMIT');
        assert.match(error.message, /2GiB/);
        return true;
      },
    );
  }
});

test('without the variable, the limit is a fraction of the machine (or cgroup) memory', () => {
  const limit = defaultMemoryLimit({});
  assert.ok(limit > 0);
  assert.ok(limit <= Math.floor(totalmem() * DEFAULT_MEMORY_FRACTION));
});
