import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  type FetchResult,
  type Flight,
  type Flights,
  flightAt,
  flightValue,
  isCurrent,
  OWN_TABLE_KEYS,
  SingleFlight,
} from '../../src/tiered/single-flight.ts';

const found = (
  values: Array<string | undefined>,
  settled: Promise<void> | null = null,
): FetchResult<string> => ({ values, failed: null, error: undefined, settled, loaded: true });

/** One flight per key of the call, whatever `load` returned. */
const each = (loaded: Flights<string>, n: number): Array<Flight<string>> =>
  Array.from({ length: n }, (_, i) => flightAt(loaded, i));

/** Whether two flights are the same key's place in the same batch. */
const same = (a: Flight<string>, b: Flight<string>) => a.batch === b.batch && a.index === b.index;

const current = (flight: Flight<string>) => isCurrent(flight.batch, flight.index);

it('joins keys in flight, runs new ones in one batch, and leaves nothing behind', async () => {
  const table = new SingleFlight<string>();
  const batches: string[][] = [];
  let release!: () => void;
  const backfilled = new Promise<void>((resolve) => {
    release = resolve;
  });
  const work = async (batch: readonly string[]) => {
    batches.push([...batch]);
    return found(
      batch.map((key) => `v:${key}`),
      backfilled,
    );
  };
  const first = each(table.load(['a', 'b'], work), 2);
  const second = each(table.load(['b', 'c'], work), 2);
  assert.ok(same(second[0]!, first[1]!), 'b is joined, not fetched again');
  assert.deepEqual(batches, [['a', 'b'], ['c']]);
  await Promise.all([...first, ...second].map((flight) => flight.batch.done));
  assert.deepEqual([...first, ...second].map(flightValue), ['v:a', 'v:b', 'v:b', 'v:c']);
  // Until the back-fill is written, a new reader joins instead of fetching again.
  assert.ok(same(flightAt(table.load(['a'], work), 0), first[0]!));
  assert.equal(table.size, 3);
  release();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(table.size, 0);
});

it('a failed batch rejects its own keys only, and a forgotten flight is not current', async () => {
  const table = new SingleFlight<string>();
  const failing = flightAt(
    table.load(['x'], async () => {
      throw new Error('boom');
    }),
    0,
  );
  const fine = flightAt(
    table.load(['y'], async () => found(['ok'])),
    0,
  );
  await Promise.all([failing.batch.done, fine.batch.done]);
  assert.throws(() => flightValue(failing), /boom/);
  assert.equal(flightValue(fine), 'ok');
  const pending = flightAt(
    table.load(['z'], () => new Promise(() => {})),
    0,
  );
  table.forget('z');
  assert.equal(current(pending), false);
  assert.notEqual(
    flightAt(
      table.load(['z'], async () => found([undefined])),
      0,
    ).batch,
    pending.batch,
    'a new read starts anew',
  );
});

it('large batches (kept apart) join, are joined, forget and leave nothing behind', async () => {
  const table = new SingleFlight<string>();
  const n = OWN_TABLE_KEYS * 2;
  const keys = Array.from({ length: n }, (_, i) => `k${i}`);
  const batches: string[][] = [];
  let release!: () => void;
  const backfilled = new Promise<void>((resolve) => {
    release = resolve;
  });
  const work = async (batch: readonly string[]) => {
    batches.push([...batch]);
    return found(
      batch.map((key) => `v:${key}`),
      backfilled,
    );
  };
  // A large batch with a repeated key: the repeat joins its first occurrence.
  const big = each(table.load([...keys, 'k0'], work), n + 1);
  assert.ok(same(big[n]!, big[0]!));
  // A single read joins the large batch; another large batch joins the keys it shares.
  assert.ok(same(flightAt(table.load(['k5'], work), 0), big[5]!));
  const more = Array.from({ length: n }, (_, i) => `k${i + n / 2}`);
  const second = each(table.load(more, work), n);
  assert.ok(same(second[0]!, big[n / 2]!), 'shared keys are joined');
  assert.deepEqual(batches, [keys, more.slice(n / 2)]);
  assert.equal(table.size, n + n / 2);
  // A forgotten key of a large batch is detached, and a new read of it starts anew.
  table.forget('k1');
  assert.equal(current(big[1]!), false);
  assert.equal(table.has('k1'), false);
  const again = flightAt(table.load(['k1'], work), 0);
  assert.notEqual(again.batch, big[1]!.batch);
  await Promise.all([...big, ...second, again].map((flight) => flight.batch.done));
  assert.equal(flightValue(big[n - 1]!), `v:k${n - 1}`);
  assert.equal(flightValue(second[n - 1]!), `v:${more[n - 1]}`);
  release();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(table.size, 0);
  assert.equal(table.has('k0'), false);
});

it('forgetAll detaches the flights of every table', () => {
  const table = new SingleFlight<string>();
  const keys = Array.from({ length: OWN_TABLE_KEYS }, (_, i) => `k${i}`);
  const big = each(
    table.load(keys, () => new Promise(() => {})),
    keys.length,
  );
  const small = flightAt(
    table.load(['s'], () => new Promise(() => {})),
    0,
  );
  table.forgetAll();
  assert.equal(table.size, 0);
  assert.ok(big.every((flight) => !current(flight)));
  assert.equal(current(small), false);
  assert.notEqual(
    flightAt(
      table.load(['k0'], () => new Promise(() => {})),
      0,
    ).batch,
    big[0]!.batch,
  );
});
