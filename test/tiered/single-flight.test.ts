import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type FetchResult, flightValue, SingleFlight } from '../../src/tiered/single-flight.ts';

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
