// MemoryStore[BACKFILL], the trusted batch of a TieredCache back-fill (internal: a symbol-keyed
// method, not part of the store's API; only a value's start is checked per entry):
// what it stores must be exactly what setMany stores for the same input, entries with a negative
// lifetime are left out, and a too large entry is refused as in setMany. The fused hash it uses
// (hash and key width in one pass) must be the store's hash.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MemoryStore, SET_STORED, SET_TOO_LARGE } from 'tiercache/memory';
import { hashString, hashStringWide } from '../../src/memory/hash.ts';
import { BACKFILL } from '../../src/memory/internal.ts';

const keyArb = fc.oneof(
  fc.integer({ min: 0, max: 300 }).map((n) => `user:${n}`),
  fc.constantFrom('', 'é', 'Ā', '😀', 'k'.repeat(40), 'ключ', 'clé:1'),
);

/** One back-fill entry: key, header bytes to skip, value bytes, lifetime (< 0: left out). */
const entryArb = fc.tuple(
  keyArb,
  fc.uint8Array({ maxLength: 12 }),
  fc.oneof(
    fc.string({ maxLength: 120 }).map((text) => Buffer.from(text, 'utf8')),
    fc.uint8Array({ maxLength: 120 }).map((bytes) => Buffer.from(bytes)),
  ),
  fc.constantFrom(-1, 0, 60_000),
);

/** The batch as a Redis reply gives it: views into one buffer, each value behind its header. */
function asReply(batch: ReadonlyArray<[string, Uint8Array, Buffer, number]>) {
  const shared = Buffer.concat(batch.flatMap(([, header, value]) => [header, value]));
  const values: Buffer[] = [];
  const starts = new Uint8Array(batch.length);
  const ttlMs = new Float64Array(batch.length);
  let at = 0;
  batch.forEach(([, header, value, ttl], i) => {
    values.push(shared.subarray(at, at + header.length + value.length));
    starts[i] = header.length;
    ttlMs[i] = ttl;
    at += header.length + value.length;
  });
  return { keys: batch.map(([key]) => key), values, starts, ttlMs };
}

test('backfill batches agree with a Map model and with setMany, skipping negative lifetimes', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(entryArb, { maxLength: 300 }), { minLength: 1, maxLength: 4 }),
      fc.constantFrom('s3fifo', 'fifo'),
      (batches, eviction) => {
        const filled = new MemoryStore({ maxBytes: 8 * 2 ** 20, budget: null, eviction });
        const reference = new MemoryStore({ maxBytes: 8 * 2 ** 20, budget: null, eviction });
        const model = new Map<string, Buffer>();
        try {
          for (const batch of batches) {
            const { keys, values, starts, ttlMs } = asReply(batch);
            const outcomes = new Uint8Array(batch.length).fill(255);
            const stored = filled[BACKFILL](keys, values, starts, ttlMs, batch.length, outcomes);
            const kept = batch.filter(([, , , ttl]) => ttl >= 0).length;
            assert.equal(stored, kept);
            batch.forEach(([key, header, value, ttl], i) => {
              // Left out: its outcome is untouched.
              assert.equal(outcomes[i], ttl >= 0 ? SET_STORED : 255);
              if (ttl < 0) return;
              model.set(key, value);
              reference.set(key, Buffer.from(values[i]!.subarray(header.length)), { ttlMs: ttl });
            });
          }
          assert.equal(filled.size, model.size);
          assert.equal(filled.usedBytes, reference.usedBytes);
          for (const [key, bytes] of model) {
            assert.deepEqual(filled.get(key), bytes, key);
            assert.equal(filled.getString(key), bytes.toString('utf8'), key);
            assert.equal(filled.expiryOf(key) > 0, reference.expiryOf(key) > 0, key);
          }
        } finally {
          filled.close();
          reference.close();
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('a back-filled entry too large is refused (its older value dropped), the rest stored', () => {
  const store = new MemoryStore({ budget: null, maxBytes: 2 ** 20, maxEntryBytes: 1024 });
  store.set('big', 'old');
  const values = [
    Buffer.from('\u00011'),
    Buffer.from(`\u0001${'x'.repeat(2000)}`),
    Buffer.from('2'),
  ];
  const outcomes = new Uint8Array(3);
  const stored = store[BACKFILL](
    ['a', 'big', 'b'],
    values,
    Uint8Array.of(1, 1, 0),
    Float64Array.of(0, 0, 0),
    3,
    outcomes,
  );
  assert.equal(stored, 2);
  assert.deepEqual([...outcomes], [SET_STORED, SET_TOO_LARGE, SET_STORED]);
  assert.equal(store.getString('big'), undefined);
  assert.equal(store.getString('a'), '1');
  assert.equal(store.getString('b'), '2');
  store.close();
});

test('only the first `count` entries are read', () => {
  const store = new MemoryStore({ budget: null });
  const stored = store[BACKFILL](
    ['a', 'b'],
    [Buffer.from('1'), undefined as unknown as Buffer],
    new Uint8Array(2),
    new Float64Array(2),
    1,
    new Uint8Array(2),
  );
  assert.equal(stored, 1);
  assert.equal(store.size, 1);
  store.close();
});

test('hashStringWide is hashString, and tells a key with a code unit >= 256', () => {
  fc.assert(
    fc.property(
      fc.string({
        unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
        maxLength: 40,
      }),
      (key) => {
        const out = { wide: false };
        assert.equal(hashStringWide(key, out), hashString(key));
        let wide = false;
        for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0xff) wide = true;
        assert.equal(out.wide, wide);
      },
    ),
    { numRuns: 500 },
  );
});

test('ASCII told by the caller is taken as told; unknown is checked', () => {
  const store = new MemoryStore({ budget: null });
  const values = [Buffer.from('ascii'), Buffer.from('also ascii'), Buffer.from('été', 'utf8')];
  const ascii = Uint8Array.of(1, 2, 0);
  store[BACKFILL](
    ['a', 'b', 'c'],
    values,
    new Uint8Array(3),
    new Float64Array(3),
    3,
    new Uint8Array(3),
    ascii,
  );
  assert.equal(store.getString('a'), 'ascii');
  assert.equal(store.getString('b'), 'also ascii');
  assert.equal(store.getString('c'), 'été');
  store.close();
});

test('the back-fill is not a public method, and a start past its value throws a coded error, storing nothing', () => {
  const store = new MemoryStore({ name: 'backfill-bad-start' });
  try {
    assert.equal('backfill' in store, false, 'no method by that name on the public surface');
    const keys = ['good', 'k'];
    const values = [Buffer.from('fine'), Buffer.from('abc')];
    const outcomes = new Uint8Array(2);
    assert.throws(
      () =>
        store[BACKFILL](
          keys,
          values,
          new Uint8Array([0, 5]),
          new Float64Array([0, 0]),
          2,
          outcomes,
        ),
      (error: Error & { code?: string }) => error.code === 'TIERCACHE_INVALID_ARGUMENT',
    );
    assert.equal(store.size, 0, 'nothing stored, not even the valid entry before it');
    assert.equal(store.get('good'), undefined);
    assert.deepEqual([...outcomes], [0, 0]);
  } finally {
    store.close();
  }
});
