import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MemoryStore, type MemoryStoreOptions } from 'tiercache/memory';
import { ChunkQueue } from '../../src/memory/chunk-queue.ts';
import { EVICT_ALL, type Policy, type PolicyHost } from '../../src/memory/policy.ts';
import { POLICY_FACTORY } from '../../src/memory/test-hooks.ts';

/**
 * A policy that works entry by entry, as the contract in src/memory/policy.ts allows: CLOCK
 * (second chance) over index positions, with one state byte per index slot (0 empty, 1 live,
 * 2 live and read since the hand last passed). It checks the contract as it goes: every insert
 * lands on an empty position, every hit and removal on a live one, and after each store call
 * its bytes mirror the index exactly.
 */
class PositionClock implements Policy {
  readonly #host: PolicyHost;
  readonly #queue = new ChunkQueue();
  readonly queues: readonly ChunkQueue[] = [this.#queue];
  readonly tracksPositions = true;
  readonly slotBytes = 1;
  #state = new Uint8Array(0);
  #hand = 0;
  #disposed = false;
  entryEvictions = 0;

  constructor(host: PolicyHost) {
    this.#host = host;
  }

  get bytes(): number {
    return this.#state.length;
  }

  queueFor(): ChunkQueue {
    return this.#queue;
  }

  onInsert(_hash: number, position: number): void {
    assert.equal(this.#state[position >>> 1], 0, 'an insert lands on an empty position');
    this.#state[position >>> 1] = 1;
  }

  onHit(_words: Int32Array, _infoWord: number, position: number): void {
    assert.notEqual(this.#state[position >>> 1], 0, 'a hit is on a live position');
    this.#state[position >>> 1] = 2;
  }

  onRemove(_hash: number, position: number): void {
    assert.notEqual(this.#state[position >>> 1], 0, 'a removal is of a live position');
    this.#state[position >>> 1] = 0;
  }

  keeps(): boolean {
    return false;
  }

  evict(need: number, force: boolean): boolean {
    const host = this.#host;
    if (need === 0 && force) {
      // A budget wants a whole chunk back.
      if (this.#queue.chunkCount === 0) return false;
      host.clean(this.#queue, 0, EVICT_ALL, this.#queue);
      return true;
    }
    const state = this.#state;
    for (let steps = 0; steps <= 2 * state.length; steps++) {
      const slot = this.#hand;
      this.#hand = (slot + 1) % state.length;
      if (state[slot] === 2 && !force) state[slot] = 1;
      else if (state[slot] !== 0) {
        host.evictAt(slot * 2);
        this.entryEvictions++;
        return true;
      }
    }
    return false;
  }

  moved(from: number, to: number): void {
    assert.equal(this.#state[to >>> 1], 0, 'a slot moves into an empty position');
    this.#state[to >>> 1] = this.#state[from >>> 1]!;
    this.#state[from >>> 1] = 0;
  }

  rehashed(map: Int32Array): void {
    const next = new Uint8Array(this.#host.table.capacity);
    for (let i = 0; i < map.length; i++) if (map[i]! >= 0) next[map[i]! >>> 1] = this.#state[i]!;
    this.#state = next;
    this.#hand = 0;
  }

  resized(capacity: number): void {
    if (this.#state.length !== capacity) this.#state = new Uint8Array(capacity);
  }

  dispose(): void {
    this.#state = new Uint8Array(0);
    this.#disposed = true;
  }

  /** Whether the state bytes mirror the index: live exactly where the index has an entry. */
  check(): void {
    // A shard left empty is dropped with its policy; the store makes a new one on its next write.
    if (this.#disposed) return;
    const slots = this.#host.table.slots;
    assert.equal(this.#state.length, slots.length >>> 1);
    for (let p = 0; p < slots.length; p += 2) {
      assert.equal(slots[p + 1] !== 0, this.#state[p >>> 1] !== 0, `position ${p}`);
    }
  }
}

function clockStore(options: MemoryStoreOptions, policies: PositionClock[]): MemoryStore {
  return new MemoryStore({
    ...options,
    [POLICY_FACTORY]: (host: PolicyHost) => {
      const policy = new PositionClock(host);
      policies.push(policy);
      return policy;
    },
  } as MemoryStoreOptions);
}

type Op =
  | { op: 'set'; key: number; size: number }
  | { op: 'get' | 'delete'; key: number }
  | { op: 'advance' };

test('an entry-by-entry policy behaves like a Map, its per-slot bytes counted', () => {
  let entryEvictions = 0;
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          {
            weight: 6,
            arbitrary: fc.record({
              op: fc.constant('set' as const),
              key: fc.integer({ min: 0, max: 400 }),
              size: fc.integer({ min: 0, max: 300 }),
            }),
          },
          {
            weight: 4,
            arbitrary: fc.record({
              op: fc.constantFrom('get' as const, 'delete' as const),
              key: fc.integer({ min: 0, max: 400 }),
            }),
          },
          { weight: 1, arbitrary: fc.record({ op: fc.constant('advance' as const) }) },
        ),
        { minLength: 300, maxLength: 1200, size: 'max' },
      ),
      (ops: Op[]) => {
        let now = 0;
        const model = new Map<string, string>();
        const policies: PositionClock[] = [];
        const store = clockStore(
          {
            shards: 2,
            maxBytes: 24 * 1024,
            maxEntryBytes: 1024,
            ttlMs: 25,
            budget: null,
            sweepIntervalMs: 0,
            now: () => now,
            onRemove: (key) => {
              assert.ok(model.delete(key), `onRemove(${key}) of a key the model holds`);
            },
          },
          policies,
        );
        const expiry = new Map<string, number>();
        const live = (key: string) => model.has(key) && expiry.get(key)! > now;
        try {
          for (const step of ops) {
            const key = `k${step.op === 'advance' ? 0 : step.key}`;
            if (step.op === 'set') {
              const value = 'v'.repeat(step.size);
              if (store.set(key, value)) {
                model.set(key, value);
                expiry.set(key, now + 25);
              } else model.delete(key);
            } else if (step.op === 'get') {
              const expected = live(key) ? model.get(key) : undefined;
              assert.equal(store.getString(key), expected);
            } else if (step.op === 'delete') {
              // The expectation is read first: the store's onRemove updates the model.
              const expected = live(key);
              assert.equal(store.delete(key), expected);
            } else {
              now += 10;
            }
            assert.equal(store.size, model.size);
            assert.ok(store.reservedBytes <= store.maxBytes);
            const policyBytes = policies.reduce((sum, p) => sum + p.bytes, 0);
            assert.ok(policyBytes <= store.reservedBytes);
            for (const policy of policies) policy.check();
          }
        } finally {
          entryEvictions += policies.reduce((sum, p) => sum + p.entryEvictions, 0);
          store.close();
        }
      },
    ),
    { numRuns: 30 },
  );
  assert.ok(entryEvictions > 200, `${entryEvictions} entries evicted one by one`);
});

test('an entry-by-entry policy keeps what is read: a hot key survives a stream of new keys', () => {
  const policies: PositionClock[] = [];
  const store = clockStore({ shards: 1, maxBytes: 32 * 1024, budget: null }, policies);
  store.set('hot', 'h'.repeat(100));
  for (let i = 0; i < 5000; i++) {
    assert.equal(store.set(`cold:${i}`, 'c'.repeat(100)), true);
    assert.equal(store.getString('hot'), 'h'.repeat(100), `after ${i} new keys`);
  }
  assert.ok(store.stats().evictions > 4000);
  // Entries went one at a time, and the arena kept most of its bytes in use.
  assert.ok(policies[0]!.entryEvictions > 4000);
  assert.ok(store.size > 100, `${store.size} entries held`);
  store.close();
});
