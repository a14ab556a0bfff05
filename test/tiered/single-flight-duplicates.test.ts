import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  type FetchResult,
  type Flight,
  type Flights,
  flightAt,
  flightValue,
  isCurrent,
  SingleFlight,
} from '../../src/tiered/single-flight.ts';

const found = (values: Array<string | undefined>): FetchResult<string> => ({
  values,
  failed: null,
  error: undefined,
  settled: null,
  loaded: true,
});

const each = (loaded: Flights<string>, n: number): Array<Flight<string>> =>
  Array.from({ length: n }, (_, i) => flightAt(loaded, i));
const same = (a: Flight<string>, b: Flight<string>) => a.batch === b.batch && a.index === b.index;

it('a key repeated in one load joins its first flight: the work sees each key once', async () => {
  const table = new SingleFlight<string>();
  const batches: string[][] = [];
  const keys = ['a', 'b', 'a', 'c', 'b'];
  const loaded = table.load(keys, async (batch) => {
    batches.push([...batch]);
    return found(batch.map((key) => `v:${key}`));
  });
  assert.ok(Array.isArray(loaded), 'a call with repeats gets one flight per key, not the batch');
  const flights = each(loaded, keys.length);
  assert.deepEqual(batches, [['a', 'b', 'c']]);
  assert.ok(same(flights[2]!, flights[0]!));
  assert.ok(same(flights[4]!, flights[1]!));
  await flights[0]!.batch.done;
  assert.deepEqual(flights.map(flightValue), ['v:a', 'v:b', 'v:a', 'v:c', 'v:b']);
});

it('a batch of distinct new keys is returned itself, but never holds the caller array', async () => {
  for (const size of [2, 40]) {
    const table = new SingleFlight<string>();
    const keys = Array.from({ length: size }, (_, i) => `k${i}`);
    const own = table.load(keys, async (batch) => found(batch.map(() => undefined)));
    assert.ok(!Array.isArray(own), 'all new and distinct: the batch itself');
    assert.notEqual(own.keys, keys, 'the batch keeps a copy');
    assert.deepEqual(own.keys, keys);
    // A joiner whose keys are the same set in another order gets flights, at the batch's places.
    const reversed = table.load([...keys].reverse(), async (batch) =>
      found(batch.map(() => undefined)),
    );
    assert.ok(Array.isArray(reversed));
    assert.ok(reversed.every((flight, i) => flight.batch === own && flight.index === size - 1 - i));
    const second = table.load(['k1', 'z'], async (batch) => found(batch.map(() => undefined)));
    assert.ok(Array.isArray(second), 'a call that joined another batch gets flights');
    assert.ok(same(second[0]!, { batch: own, index: 1 }));
    // Changing the caller's array afterwards changes nothing in the table: every flight ends.
    keys.fill('changed');
    await Promise.all([own.done, second[1]!.batch.done]);
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
  const flights = each(table.load(repeated, work), repeated.length);
  assert.deepEqual(batches, [distinct], 'each key fetched once');
  assert.ok(same(flights[40]!, flights[3]!));
  assert.ok(same(flights[41]!, flights[7]!));
  await flights[0]!.batch.done;
  assert.deepEqual(
    flights.map(flightValue),
    repeated.map((key) => `v:${key}`),
  );
  // The first batch leaves the table once its (empty) back-fill has settled.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(table.size, 0);

  const own = table.load(distinct, work);
  assert.ok(!Array.isArray(own));
  assert.notEqual(own.keys, distinct, 'distinct new keys: a copy, never the caller array');
  // While it is in flight, another read joins it and a write detaches one of its keys.
  const joined = each(table.load(['k5', 'other'], work), 2);
  assert.ok(same(joined[0]!, { batch: own, index: 5 }));
  table.forget('k9');
  assert.equal(isCurrent(own, 9), false);
  assert.equal(isCurrent(own, 8), true);
  await Promise.all([own.done, joined[1]!.batch.done]);
  assert.equal(flightValue(joined[0]!), 'v:k5');
});
