import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes, InvalidOptionError, InvalidOptionTypeError } from 'tiercache/errors';
import { MemoryBudget, MemoryStore } from 'tiercache/memory';

function rejects(
  options: unknown,
  kind: typeof InvalidOptionError | typeof InvalidOptionTypeError,
  option: string,
) {
  assert.throws(
    () => new MemoryStore(options as never),
    (error: unknown) => {
      assert.ok(error instanceof kind, `expected ${kind.name}, got ${String(error)}`);
      assert.equal(error.code, ErrorCodes.INVALID_OPTION);
      assert.equal(error.option, option);
      assert.match(error.message, new RegExp(option));
      return true;
    },
  );
}

test('defaults are valid and allocate nothing but small fixed structures', () => {
  const store = new MemoryStore();
  assert.equal(store.maxBytes, 64 * 1024 * 1024);
  assert.equal(store.reservedBytes, 0);
  assert.equal(store.size, 0);
  store.close();
});

test('shards must be a power of two from 1 to 65536', () => {
  rejects({ shards: 3 }, InvalidOptionError, 'shards');
  rejects({ shards: 0 }, InvalidOptionError, 'shards');
  rejects({ shards: 1.5 }, InvalidOptionError, 'shards');
  rejects({ shards: 131072, maxBytes: 2 ** 40 }, InvalidOptionError, 'shards');
  rejects({ shards: '16' }, InvalidOptionTypeError, 'shards');
  new MemoryStore({ shards: 1, budget: null }).close();
  new MemoryStore({ shards: 1024, maxBytes: 500 * 1024 * 1024, budget: null }).close();
});

test('sizes must be finite positive integers', () => {
  for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    rejects({ maxBytes: bad }, InvalidOptionError, 'maxBytes');
    rejects({ maxEntryBytes: bad }, InvalidOptionError, 'maxEntryBytes');
  }
  rejects({ maxBytes: '64MiB' }, InvalidOptionTypeError, 'maxBytes');
  rejects({ initialBytes: -1 }, InvalidOptionError, 'initialBytes');
  rejects({ initialBytes: 2 ** 30, maxBytes: 2 ** 20 }, InvalidOptionError, 'initialBytes');
  rejects({ ttlMs: -5 }, InvalidOptionError, 'ttlMs');
  rejects({ ttlMs: Number.NaN }, InvalidOptionError, 'ttlMs');
  rejects({ ttlMs: '1s' }, InvalidOptionTypeError, 'ttlMs');
  rejects({ sweepIntervalMs: -1 }, InvalidOptionError, 'sweepIntervalMs');
  rejects({ sweepIntervalMs: 2 ** 40 }, InvalidOptionError, 'sweepIntervalMs');
});

test('maxEntryBytes must fit one shard with its index', () => {
  // 1 MiB over 16 shards = 64 KiB per shard.
  rejects(
    { maxBytes: 1024 * 1024, shards: 16, maxEntryBytes: 64 * 1024 },
    InvalidOptionError,
    'maxEntryBytes',
  );
  rejects({ maxEntryBytes: 8 }, InvalidOptionError, 'maxEntryBytes');
  new MemoryStore({
    maxBytes: 1024 * 1024,
    shards: 16,
    maxEntryBytes: 32 * 1024,
    budget: null,
  }).close();
});

test('a maxBytes too small for one entry per shard names maxBytes', () => {
  rejects({ maxBytes: 100, shards: 16 }, InvalidOptionError, 'maxBytes');
});

test('types of the remaining options are checked', () => {
  rejects({ name: 5 }, InvalidOptionTypeError, 'name');
  rejects({ budget: { maxBytes: 5 } }, InvalidOptionTypeError, 'budget');
  rejects({ onRemove: 'log' }, InvalidOptionTypeError, 'onRemove');
  rejects({ now: 5 }, InvalidOptionTypeError, 'now');
  rejects('big', InvalidOptionTypeError, 'options');
  rejects(null, InvalidOptionTypeError, 'options');
});

test('an unknown option is refused by name (catches typos)', () => {
  rejects({ maxbytes: 1024 }, InvalidOptionTypeError, 'maxbytes');
});

test('MemoryBudget validates its own options', () => {
  assert.throws(() => new MemoryBudget({ maxBytes: 0 }), InvalidOptionError);
  assert.throws(() => new MemoryBudget({ maxBytes: 'lots' as never }), InvalidOptionTypeError);
  assert.throws(() => new MemoryBudget(undefined as never), InvalidOptionTypeError);
});

test("eviction is 's3fifo' (the default) or 'fifo'", () => {
  rejects({ eviction: 'lru' }, InvalidOptionError, 'eviction');
  rejects({ eviction: 1 }, InvalidOptionTypeError, 'eviction');
  rejects({ eviction: null }, InvalidOptionTypeError, 'eviction');
  const byDefault = new MemoryStore({ budget: null });
  assert.equal(byDefault.eviction, 's3fifo');
  byDefault.close();
  const fifo = new MemoryStore({ budget: null, eviction: 'fifo' });
  assert.equal(fifo.eviction, 'fifo');
  fifo.close();
});
