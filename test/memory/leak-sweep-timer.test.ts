// Leak test: the expiry sweep's timer keeps neither the store nor the process alive.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { MemoryStore } from 'tiercache/memory';

const gc = globalThis.gc as () => void;

function storeWithRunningSweep(): WeakRef<MemoryStore> {
  const store = new MemoryStore({ name: 'swept', sweepIntervalMs: 1, budget: null });
  store.set('k', 'v', { ttlMs: 60_000 });
  return new WeakRef(store);
}

test('a store with a running sweep timer is still garbage-collected', async () => {
  const ref = storeWithRunningSweep();
  // Let the timer fire a few times first: the tick must not resurrect a strong reference.
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 2));
  let alive = true;
  // deref() keeps its target alive until the current job ends, so collect and look in
  // different turns of the event loop.
  for (let round = 0; round < 50 && alive; round++) {
    await tick();
    gc();
    await tick();
    alive = ref.deref() !== undefined;
  }
  assert.equal(alive, false, 'the store was collected');
});

test('a live store with a sweep timer does not keep the process running', () => {
  const script = `
    import { MemoryStore } from 'tiercache/memory';
    const store = new MemoryStore({ sweepIntervalMs: 10 });
    store.set('k', 'v', { ttlMs: 1000 });
    globalThis.keep = store;
    console.log('ready');
  `;
  // If the interval were ref'ed, the child would never exit; the timeout turns that into a failure.
  const child = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(child.signal, null, `child was killed: ${child.stderr}`);
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout, /ready/);
});

test('close() stops the sweep timer', async () => {
  const store = new MemoryStore({ sweepIntervalMs: 1, budget: null });
  let sweeps = 0;
  // Shadow the method on the instance: the timer calls whatever `purgeExpired` the store has.
  store.purgeExpired = () => {
    sweeps++;
    return 0;
  };
  store.set('k', 'v', { ttlMs: 60_000 });
  for (let i = 0; i < 5000 && sweeps < 3; i++)
    await new Promise((resolve) => setTimeout(resolve, 2));
  assert.ok(sweeps >= 3, 'the sweep runs while the store is open');
  store.close();
  const atClose = sweeps;
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 2));
  assert.equal(sweeps, atClose, 'no sweep after close()');
});
