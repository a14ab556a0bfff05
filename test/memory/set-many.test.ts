import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { InvalidArgumentError } from 'tiercache/errors';
import { MemoryStore, SET_NO_ROOM, SET_STORED, SET_TOO_LARGE } from 'tiercache/memory';
import { HASH_FUNCTION } from '../../src/memory/test-hooks.ts';

const keyArb = fc.oneof(
  fc.integer({ min: 0, max: 300 }).map((n) => `user:${n}`),
  fc.constantFrom('', 'é', 'Ā', '😀', 'k'.repeat(40)),
);
const valueArb = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.uint8Array({ maxLength: 120 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

test('setMany batches agree with a Map model (and with one set per entry), in every shard', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.tuple(keyArb, valueArb), { maxLength: 400 }), { maxLength: 6 }),
      fc.constantFrom('s3fifo', 'fifo'),
      (batches, eviction) => {
        const store = new MemoryStore({ maxBytes: 8 * 2 ** 20, budget: null, eviction });
        const model = new Map<string, Buffer>();
        try {
          for (const batch of batches) {
            const outcomes = new Uint8Array(batch.length);
            const stored = store.setMany(
              batch.map(([key]) => key),
              batch.map(([, value]) => value),
              undefined,
              outcomes,
            );
            assert.equal(stored, batch.length);
            assert.ok(outcomes.every((outcome) => outcome === SET_STORED));
            for (const [key, value] of batch) {
              model.set(key, typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
            }
          }
          assert.equal(store.size, model.size);
          for (const [key, bytes] of model) {
            assert.deepEqual(store.get(key), bytes, key);
            assert.equal(store.getString(key), bytes.toString('utf8'), key);
          }
        } finally {
          store.close();
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('ASCII bytes read back by getString as the same text', () => {
  const store = new MemoryStore({ budget: null });
  const text = '\u0001{"id":1,"name":"a"}';
  store.setMany(['a', 'b'], [Buffer.from(text, 'latin1'), Buffer.from('é€', 'utf8')]);
  assert.equal(store.getString('a'), text);
  assert.equal(store.getString('b'), 'é€');
  store.close();
});

test('per-entry lifetimes: each entry expires on its own, 0 never', () => {
  let now = 1_000;
  const store = new MemoryStore({ budget: null, now: () => now, sweepIntervalMs: 0 });
  store.setMany(['short', 'long', 'forever'], ['1', '2', '3'], Float64Array.of(10, 100, 0));
  now += 50;
  assert.equal(store.getString('short'), undefined);
  assert.equal(store.getString('long'), '2');
  now += 1_000_000;
  assert.equal(store.getString('long'), undefined);
  assert.equal(store.getString('forever'), '3');
  store.close();
});

test('an entry too large is refused (its older value dropped) while the rest are stored', () => {
  const store = new MemoryStore({ budget: null, maxBytes: 2 ** 20, maxEntryBytes: 1024 });
  store.set('big', 'old');
  const outcomes = new Uint8Array(3);
  const stored = store.setMany(['a', 'big', 'b'], ['1', 'x'.repeat(2000), '2'], 0, outcomes);
  assert.equal(stored, 2);
  assert.deepEqual([...outcomes], [SET_STORED, SET_TOO_LARGE, SET_STORED]);
  assert.equal(store.getString('big'), undefined);
  assert.equal(store.getString('a'), '1');
  store.close();
});

test('bad input anywhere in the batch stores nothing', () => {
  const store = new MemoryStore({ budget: null });
  store.set('a', 'old');
  assert.throws(
    () => store.setMany(['a', 'b'], ['new', 42 as unknown as string]),
    InvalidArgumentError,
  );
  assert.throws(
    () => store.setMany(['a', 7 as unknown as string], ['new', 'x']),
    InvalidArgumentError,
  );
  assert.throws(() => store.setMany(['a'], ['new'], [-1]), InvalidArgumentError);
  assert.throws(() => store.setMany(['a'], ['new', 'extra']), InvalidArgumentError);
  assert.equal(store.getString('a'), 'old');
  assert.equal(store.size, 1);
  store.close();
});

test('a batch larger than the store keeps it under maxBytes and reports the entries left out', () => {
  const store = new MemoryStore({ budget: null, maxBytes: 256 * 1024, shards: 2 });
  const n = 5000;
  const keys = Array.from({ length: n }, (_, i) => `key:${i}`);
  const values = keys.map(() => 'v'.repeat(100));
  const outcomes = new Uint8Array(n);
  const stored = store.setMany(keys, values, undefined, outcomes);
  assert.ok(store.reservedBytes <= store.maxBytes);
  assert.equal(stored, outcomes.filter((o) => o === SET_STORED).length);
  assert.ok(outcomes.every((o) => o === SET_STORED || o === SET_NO_ROOM));
  // Evicted or not, nothing stored reads back wrong.
  for (let i = 0; i < n; i++) {
    const got = store.getString(keys[i]!);
    if (got !== undefined) assert.equal(got, values[i]);
  }
  store.close();
});

test("a new store's first batch sizes its index once (no step-by-step growth)", () => {
  const n = 4000;
  const keys = Array.from({ length: n }, (_, i) => `user:${i}`);
  const values = keys.map((key) => `{"key":"${key}","pad":"${'p'.repeat(80)}"}`);
  const batch = new MemoryStore({ budget: null, shards: 1 });
  batch.setMany(keys, values);
  const single = new MemoryStore({ budget: null, shards: 1 });
  for (let i = 0; i < n; i++) single.set(keys[i]!, values[i]!);
  for (const key of keys) assert.equal(batch.getString(key), single.getString(key));
  // Sized from the batch: no more bytes held than a store filled one entry at a time.
  assert.ok(
    batch.reservedBytes <= single.reservedBytes * 1.1,
    `${batch.reservedBytes} vs ${single.reservedBytes}`,
  );
  batch.close();
  single.close();
});

test('values stored from a start offset agree with a Map model of the bytes from there on', () => {
  const entryArb = fc.tuple(
    keyArb,
    // A prefix (any bytes, shorter or longer than the slot's header and key), then the value.
    fc.uint8Array({ maxLength: 60 }),
    fc.oneof(
      fc.string({ maxLength: 120 }).map((text) => Buffer.from(text, 'utf8')),
      fc.uint8Array({ maxLength: 120 }).map((bytes) => Buffer.from(bytes)),
    ),
  );
  fc.assert(
    fc.property(
      fc.array(fc.array(entryArb, { maxLength: 300 }), { minLength: 1, maxLength: 4 }),
      (batches) => {
        const store = new MemoryStore({ maxBytes: 8 * 2 ** 20, budget: null });
        const model = new Map<string, Buffer>();
        try {
          for (const batch of batches) {
            // Each source is a view into one shared buffer, as a Redis reply's entries are.
            const shared = Buffer.concat(batch.flatMap(([, prefix, value]) => [prefix, value]));
            let at = 0;
            const sources: Buffer[] = [];
            const starts = new Uint8Array(batch.length);
            batch.forEach(([, prefix, value], i) => {
              sources.push(shared.subarray(at, at + prefix.length + value.length));
              starts[i] = prefix.length;
              at += prefix.length + value.length;
            });
            const outcomes = new Uint8Array(batch.length);
            store.setMany(
              batch.map(([key]) => key),
              sources,
              undefined,
              outcomes,
              starts,
            );
            assert.ok(outcomes.every((outcome) => outcome === SET_STORED));
            for (const [key, , value] of batch) model.set(key, value);
          }
          assert.equal(store.size, model.size);
          for (const [key, bytes] of model) {
            assert.deepEqual(store.get(key), bytes, key);
            assert.equal(store.getString(key), bytes.toString('utf8'), key);
          }
        } finally {
          store.close();
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('a bad start anywhere in the batch stores nothing', () => {
  const store = new MemoryStore({ budget: null });
  store.set('a', 'old');
  const value = Buffer.from('xxnew');
  for (const start of [6, -1, 1.5, Number.NaN]) {
    assert.throws(
      () => store.setMany(['b', 'a'], [value, value], undefined, undefined, [2, start]),
      InvalidArgumentError,
      String(start),
    );
  }
  // A string value has no byte offsets.
  assert.throws(
    () => store.setMany(['a'], ['new'], undefined, undefined, [1]),
    InvalidArgumentError,
  );
  assert.throws(
    () => store.setMany(['a', 'b'], [value, value], undefined, undefined, [2]),
    InvalidArgumentError,
  );
  assert.equal(store.getString('a'), 'old');
  assert.equal(store.size, 1);
  store.setMany(['a', 'b'], [value, value], undefined, undefined, [2, 5]);
  assert.equal(store.getString('a'), 'new');
  assert.equal(store.getString('b'), '');
  store.close();
});

// One probe per entry (review of the back-fill speed-up, D4): a batch over keys already stored,
// or one that makes the index grow, counts the same collisions as one `set` per entry.
test('setMany counts the same hash collisions as one set per entry (constant hash)', () => {
  const keys = Array.from({ length: 12 }, (_, i) => `key${i}`);
  const collisions = (write: (store: MemoryStore, batch: string[], value: string) => void) => {
    // Every key under one hash: each probe walks past the keys before it.
    const hook: object = { [HASH_FUNCTION]: () => 7 };
    const store = new MemoryStore({ name: 'set-many-collisions', shards: 1, ...hook });
    try {
      // 4 new keys, then the same 4 overwritten (longer values: some slots are rewritten), then
      // all 12 (8 of them new: the index grows on the way).
      write(store, keys.slice(0, 4), 'v');
      write(store, keys.slice(0, 4), 'a longer value than before');
      write(store, keys, 'w');
      for (const key of keys) assert.equal(store.getString(key), 'w');
      return store.stats().collisions;
    } finally {
      store.close();
    }
  };
  const one = collisions((store, batch, value) => {
    for (const key of batch) store.set(key, value);
  });
  const many = collisions((store, batch, value) => {
    store.setMany(
      batch,
      batch.map(() => value),
    );
  });
  assert.ok(one > 0);
  assert.equal(many, one);
});

// The last write of a key in one batch wins, and the outcomes say what the store holds.
test('a key twice in one batch, once too large: the later entry wins either way', () => {
  const store = new MemoryStore({ name: 'set-many-dup-too-large', maxEntryBytes: 1024 });
  try {
    const huge = 'x'.repeat(4096);
    const outcomes = new Uint8Array(2);
    store.set('k', 'old');
    store.setMany(['k', 'k'], [huge, 'small'], undefined, outcomes);
    assert.deepEqual([...outcomes], [SET_TOO_LARGE, SET_STORED]);
    assert.equal(store.getString('k'), 'small');
    store.setMany(['k', 'k'], ['small2', huge], undefined, outcomes);
    assert.deepEqual([...outcomes], [SET_STORED, SET_TOO_LARGE]);
    assert.equal(store.getString('k'), undefined);
    store.setMany(['k', 'j', 'k', 'k'], [huge, 'j', 'mid', huge]);
    assert.equal(store.getString('k'), undefined);
    assert.equal(store.getString('j'), 'j');
  } finally {
    store.close();
  }
});
