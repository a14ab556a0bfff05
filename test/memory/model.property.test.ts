import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EntryTooLargeError } from 'tiercache/errors';
import { MemoryStore, type MemoryStoreOptions, type RemovalReason } from 'tiercache/memory';
import { hashString } from '../../src/memory/hash.ts';
import { EVICTION_POLICIES, type EvictionPolicy } from '../../src/memory/policies.ts';
import { HASH_FUNCTION } from '../../src/memory/test-hooks.ts';

type Op =
  | { op: 'set'; key: string; value: string | Uint8Array; ttlMs: number | undefined }
  | { op: 'get' | 'getString' | 'has' | 'delete'; key: string }
  | { op: 'clear' | 'iterate' | 'purge' }
  | { op: 'advance'; ms: number };

interface ModelEntry {
  bytes: Buffer;
  expiresAt: number;
}

const keyPool = [
  '',
  'a',
  'b',
  'ab',
  'ba',
  'é',
  'Ā',
  '\ud800',
  '\udc00',
  '😀',
  'k'.repeat(40),
  'user:1',
  'user:2',
];
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const keyArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...keyPool) },
  { weight: 3, arbitrary: fc.string({ unit: anyUnit, maxLength: 4 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 60 }).map((n) => `key:${n}`) },
);
const valueArb = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.string({ unit: anyUnit, maxLength: 40 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.constant(''),
  fc.integer({ min: 0, max: 1200 }).map((n) => 'z'.repeat(n)),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 200,
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      key: keyArb,
      value: valueArb,
      ttlMs: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
    }),
  },
  {
    weight: 100,
    arbitrary: fc.record({
      op: fc.constantFrom('get' as const, 'getString' as const),
      key: keyArb,
    }),
  },
  { weight: 40, arbitrary: fc.record({ op: fc.constant('has' as const), key: keyArb }) },
  { weight: 60, arbitrary: fc.record({ op: fc.constant('delete' as const), key: keyArb }) },
  {
    weight: 40,
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      ms: fc.integer({ min: 0, max: 40 }),
    }),
  },
  {
    weight: 20,
    arbitrary: fc.record({ op: fc.constantFrom('iterate' as const, 'purge' as const) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const) }) },
);

const configs: [string, MemoryStoreOptions & { [HASH_FUNCTION]?: (key: string) => number }][] = [
  // Four hash values in all: nearly every lookup walks a run of colliding hashes.
  [
    'ample memory, 2-bit hash space',
    { shards: 4, maxBytes: 4 << 20, [HASH_FUNCTION]: (k) => hashString(k) & 3 },
  ],
  // Tight memory: evictions all the time, with a 3-bit hash space and a default TTL.
  [
    'tight memory, 3-bit hash space, default ttl',
    {
      shards: 2,
      maxBytes: 16 * 1024,
      maxEntryBytes: 1024,
      ttlMs: 30,
      [HASH_FUNCTION]: (k) => hashString(k) & 7,
    },
  ],
  ['real hash, one shard', { shards: 1, maxBytes: 64 * 1024, maxEntryBytes: 2048 }],
  // Always full, with an index past its smallest size: S3-FIFO's ghost queue is in play.
  ['real hash, one small shard', { shards: 1, maxBytes: 6 * 1024, maxEntryBytes: 1024 }],
];

type Stats = ReturnType<MemoryStore['stats']>;

/**
 * Every policy runs every config below; its line here checks what is particular to it after
 * each run (a new policy: one line, which the type requires).
 */
const policyChecks: Record<EvictionPolicy, (stats: Stats) => void> = {
  s3fifo: (stats) => addTotals('s3fifo', stats),
  fifo: (stats) => {
    addTotals('fifo', stats);
    assert.equal(stats.reinserted + stats.ghostHits, 0, 'fifo neither reinserts nor ghosts');
  },
  adaptive: (stats) => {
    addTotals('adaptive', stats);
    assert.equal(stats.ghostHits, 0, 'adaptive admits by its sketch, not by a ghost queue');
  },
};

let totalOps = 0;
let totalCollisions = 0;
const totals = new Map<
  EvictionPolicy,
  { evictions: number; reinserted: number; ghostHits: number }
>();
function addTotals(policy: EvictionPolicy, stats: Stats): void {
  const sum = totals.get(policy) ?? { evictions: 0, reinserted: 0, ghostHits: 0 };
  sum.evictions += stats.evictions;
  sum.reinserted += stats.reinserted;
  sum.ghostHits += stats.ghostHits;
  totals.set(policy, sum);
}

for (const eviction of EVICTION_POLICIES)
  for (const [label, config] of configs) {
    test(`eviction '${eviction}' behaves like a Map with expiry: ${label}`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 600, maxLength: 1600, size: 'max' }), (ops) => {
          let now = 1_000;
          const model = new Map<string, ModelEntry>();
          const live = (key: string) => {
            const entry = model.get(key);
            return entry !== undefined && (entry.expiresAt === 0 || entry.expiresAt > now)
              ? entry
              : undefined;
          };
          const onRemove = (key: string, value: Buffer, reason: RemovalReason) => {
            const entry = model.get(key);
            assert.ok(entry, `onRemove(${JSON.stringify(key)}) for a key the model does not hold`);
            assert.deepEqual(value, entry.bytes, 'onRemove passes the removed value');
            if (reason === 'expired') assert.ok(entry.expiresAt !== 0 && entry.expiresAt <= now);
            model.delete(key);
          };
          const store = new MemoryStore({
            ...config,
            eviction,
            budget: null,
            sweepIntervalMs: 0,
            now: () => now,
            onRemove,
          });
          try {
            for (const step of ops) {
              totalOps++;
              switch (step.op) {
                case 'set': {
                  const bytes = Buffer.from(step.value as string);
                  const entryBytes =
                    24 +
                    ([...step.key].some((c) => c.charCodeAt(0) > 0xff) ? 2 : 1) * step.key.length +
                    bytes.length;
                  if (
                    entryBytes > store.maxBytes ||
                    entryBytes > (config.maxEntryBytes ?? Number.POSITIVE_INFINITY)
                  ) {
                    assert.throws(
                      () => store.set(step.key, step.value, { ttlMs: step.ttlMs }),
                      EntryTooLargeError,
                    );
                    break;
                  }
                  const ttl = step.ttlMs ?? config.ttlMs ?? 0;
                  if (store.set(step.key, step.value, { ttlMs: step.ttlMs })) {
                    model.set(step.key, { bytes, expiresAt: ttl > 0 ? now + ttl : 0 });
                  } else {
                    model.delete(step.key);
                  }
                  break;
                }
                // The expectation is read first: the store's onRemove updates the model.
                case 'get': {
                  const expected = live(step.key)?.bytes;
                  assert.deepEqual(store.get(step.key), expected);
                  break;
                }
                case 'getString': {
                  const expected = live(step.key)?.bytes.toString('utf8');
                  assert.equal(store.getString(step.key), expected);
                  break;
                }
                case 'has': {
                  const expected = live(step.key) !== undefined;
                  assert.equal(store.has(step.key), expected);
                  break;
                }
                case 'delete': {
                  const expected = live(step.key) !== undefined;
                  assert.equal(store.delete(step.key), expected);
                  break;
                }
                case 'clear':
                  store.clear();
                  assert.equal(model.size, 0);
                  break;
                case 'advance':
                  now += step.ms;
                  break;
                case 'purge':
                  store.purgeExpired();
                  for (const [key] of model) assert.ok(live(key), 'purge left no expired entry');
                  break;
                case 'iterate': {
                  const entries = new Map([...store.entries()]);
                  const expected = new Map(
                    [...model].filter(([key]) => live(key)).map(([k, e]) => [k, e.bytes]),
                  );
                  assert.deepEqual(entries, expected);
                  break;
                }
              }
              assert.equal(store.size, model.size, 'every removal was reported, every set counted');
              assert.ok(store.reservedBytes <= store.maxBytes);
            }
          } finally {
            const stats = store.stats();
            totalCollisions += stats.collisions;
            policyChecks[eviction](stats);
            store.close();
          }
        }),
        { numRuns: 40 },
      );
    });
  }

test('the property tests ran at least 100k operations, through hash collisions', (t) => {
  t.diagnostic(`${totalOps} operations, ${totalCollisions} hash collisions met`);
  assert.ok(totalOps >= 100_000, `ran ${totalOps} operations`);
  assert.ok(totalCollisions > 10_000, `met ${totalCollisions} collisions`);
});

test('every policy ran through eviction', (t) => {
  for (const policy of EVICTION_POLICIES) {
    const evictions = totals.get(policy)?.evictions ?? 0;
    t.diagnostic(`${policy}: ${evictions} evictions`);
    assert.ok(evictions > 100, `${policy}: ${evictions} evictions`);
  }
});

test('the s3fifo runs went through eviction, reinsertion and ghost hits', (t) => {
  const { evictions, reinserted, ghostHits } = totals.get('s3fifo')!;
  t.diagnostic(`s3fifo: ${evictions} evictions, ${reinserted} reinserted, ${ghostHits} ghost hits`);
  assert.ok(evictions > 100, `${evictions} evictions`);
  assert.ok(reinserted > 40, `${reinserted} entries kept for having been read`);
  assert.ok(ghostHits > 15, `${ghostHits} ghost hits`);
});
