import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  type FetchResult,
  flightValue,
  OWN_TABLE_KEYS,
  SingleFlight,
} from '../../src/tiered/single-flight.ts';

const found = (
  values: Array<string | undefined>,
  settled: Promise<void> | null = null,
): FetchResult<string> => ({ values, failed: null, error: undefined, settled, loaded: true });

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
  const first = table.load(['a', 'b'], work);
  const second = table.load(['b', 'c'], work);
  assert.equal(second[0], first[1], 'b is joined, not fetched again');
  assert.deepEqual(batches, [['a', 'b'], ['c']]);
  await Promise.all([...first, ...second].map((flight) => flight.batch.done));
  assert.deepEqual([...first, ...second].map(flightValue), ['v:a', 'v:b', 'v:b', 'v:c']);
  // Until the back-fill is written, a new reader joins instead of fetching again.
  assert.equal(table.load(['a'], work)[0], first[0]);
  assert.equal(table.size, 3);
  release();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(table.size, 0);
});

it('a failed batch rejects its own keys only, and a forgotten flight is not current', async () => {
  const table = new SingleFlight<string>();
  const failing = table.load(['x'], async () => {
    throw new Error('boom');
  });
  const fine = table.load(['y'], async () => found(['ok']));
  await Promise.all([failing[0]!.batch.done, fine[0]!.batch.done]);
  assert.throws(() => flightValue(failing[0]!), /boom/);
  assert.equal(flightValue(fine[0]!), 'ok');
  const pending = table.load(['z'], () => new Promise(() => {}));
  table.forget('z');
  assert.equal(pending[0]!.current, false);
  assert.notEqual(
    table.load(['z'], async () => found([undefined]))[0],
    pending[0],
    'a new read starts anew',
  );
});

it('large batches (their own tables) join, are joined, forget and leave nothing behind', async () => {
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
  const big = table.load([...keys, 'k0'], work);
  assert.equal(big[n], big[0]);
  // A single read joins the large batch; another large batch joins the keys it shares.
  const single = table.load(['k5'], work);
  assert.equal(single[0], big[5]);
  const more = Array.from({ length: n }, (_, i) => `k${i + n / 2}`);
  const second = table.load(more, work);
  assert.equal(second[0], big[n / 2], 'shared keys are joined');
  assert.deepEqual(batches, [keys, more.slice(n / 2)]);
  assert.equal(table.size, n + n / 2);
  // A forgotten key of a large batch is detached, and a new read of it starts anew.
  table.forget('k1');
  assert.equal(big[1]!.current, false);
  assert.equal(table.has('k1'), false);
  const again = table.load(['k1'], work);
  assert.notEqual(again[0], big[1]);
  await Promise.all([...big, ...second, ...again].map((flight) => flight.batch.done));
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
  const big = table.load(keys, () => new Promise(() => {}));
  const small = table.load(['s'], () => new Promise(() => {}));
  table.forgetAll();
  assert.equal(table.size, 0);
  assert.ok(big.every((flight) => !flight.current));
  assert.equal(small[0]!.current, false);
  assert.notEqual(table.load(['k0'], () => new Promise(() => {}))[0], big[0]);
});
