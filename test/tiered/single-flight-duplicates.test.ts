import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  alignedBatch,
  type FetchResult,
  flightValue,
  SingleFlight,
} from '../../src/tiered/single-flight.ts';

const found = (values: Array<string | undefined>): FetchResult<string> => ({
  values,
  failed: null,
  error: undefined,
  settled: null,
  loaded: true,
});

it('a key repeated in one load joins its first flight: the work sees each key once', async () => {
  const table = new SingleFlight<string>();
  const batches: string[][] = [];
  const keys = ['a', 'b', 'a', 'c', 'b'];
  const flights = table.load(keys, async (batch) => {
    batches.push([...batch]);
    return found(batch.map((key) => `v:${key}`));
  });
  assert.deepEqual(batches, [['a', 'b', 'c']]);
  assert.equal(flights[2], flights[0]);
  assert.equal(flights[4], flights[1]);
  assert.equal(flights[0]!.batch.aligned, false, 'a batch with repeats is not aligned');
  await flights[0]!.batch.done;
  assert.deepEqual(flights.map(flightValue), ['v:a', 'v:b', 'v:a', 'v:c', 'v:b']);
});

it('a batch of distinct new keys is aligned, but never holds the caller array', async () => {
  for (const size of [2, 40]) {
    const table = new SingleFlight<string>();
    const keys = Array.from({ length: size }, (_, i) => `k${i}`);
    const flights = table.load(keys, async (batch) => found(batch.map(() => undefined)));
    assert.notEqual(flights[0]!.batch.keys, keys, 'the batch keeps a copy');
    assert.deepEqual(flights[0]!.batch.keys, keys);
    assert.equal(alignedBatch(flights), flights[0]!.batch);
    // A joiner whose keys are the same set in another order is not aligned with the batch.
    const reversed = table.load([...keys].reverse(), async (batch) =>
      found(batch.map(() => undefined)),
    );
    assert.equal(alignedBatch(reversed), null);
    const joined = ['k1', 'z'];
    const second = table.load(joined, async (batch) => found(batch.map(() => undefined)));
    assert.equal(second[1]!.batch.aligned, false, 'a batch that joined another is not aligned');
    assert.equal(alignedBatch(second), null);
    // Changing the caller's array afterwards changes nothing in the table: every flight ends.
    keys.fill('changed');
    await Promise.all([flights[0]!.batch.done, second[1]!.batch.done]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(table.size, 0);
  }
});

it('a large batch alone in the table: repeats still fold, its keys stay joinable and forgettable', async () => {
  const table = new SingleFlight<string>();
  const distinct = Array.from({ length: 40 }, (_, i) => `k${i}`);
  const repeated = [...distinct, 'k3', 'k7'];
  const batches: string[][] = [];
  const work = async (batch: readonly string[]) => {
    batches.push([...batch]);
    return found(batch.map((key) => `v:${key}`));
  };
  const flights = table.load(repeated, work);
  assert.deepEqual(batches, [distinct], 'each key fetched once');
  assert.equal(flights[40], flights[3]);
  assert.equal(flights[41], flights[7]);
  await flights[0]!.batch.done;
  assert.deepEqual(
    flights.map(flightValue),
    repeated.map((key) => `v:${key}`),
  );
  // The first batch leaves the table once its (empty) back-fill has settled.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(table.size, 0);

  const own = table.load(distinct, work);
  assert.notEqual(
    own[0]!.batch.keys,
    distinct,
    'distinct new keys: a copy, never the caller array',
  );
  assert.equal(own[0]!.batch.aligned, true);
  // While it is in flight, another read joins it and a write detaches one of its keys.
  const joined = table.load(['k5', 'other'], work);
  assert.equal(joined[0], own[5]);
  table.forget('k9');
  assert.equal(own[9]!.current, false);
  assert.equal(own[8]!.current, true);
  await Promise.all([own[0]!.batch.done, joined[1]!.batch.done]);
  assert.equal(flightValue(joined[0]!), 'v:k5');
});
