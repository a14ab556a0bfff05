// A large batch started while nothing else is in flight is indexed lazily: these tests reach it
// before and after anyone looked it up, and check the table against a model under random
// interleavings.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import {
  type FetchResult,
  type FlightBatch,
  flightAt,
  flightValue,
  isCurrent,
  OWN_TABLE_KEYS,
  SingleFlight,
} from '../../src/tiered/single-flight.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A work function whose fetches answer (and then settle their back-fill) only when told. */
function controlled() {
  const calls: Array<{
    keys: string[];
    batch: FlightBatch<string>;
    respond: () => void;
    settle: () => void;
  }> = [];
  const work = (keys: readonly string[], batch: FlightBatch<string>) => {
    const id = calls.length;
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    return new Promise<FetchResult<string>>((resolve) => {
      calls.push({
        keys: [...keys],
        batch,
        respond: () =>
          resolve({
            values: keys.map((key) => `${key}@${id}`),
            failed: null,
            error: undefined,
            settled,
            loaded: true,
          }),
        settle,
      });
    });
  };
  return { calls, work };
}

const bigKeys = (n = OWN_TABLE_KEYS * 3) => Array.from({ length: n }, (_, i) => `k${i}`);

it('a join reaching a large batch that has no index yet joins it (no second fetch)', async () => {
  const table = new SingleFlight<string>();
  const { calls, work } = controlled();
  const keys = bigKeys();
  const own = table.load(keys, work);
  assert.ok(!Array.isArray(own));
  // A read of unrelated keys does not join; a single read and a batch with shared keys do.
  const other = table.load(['x'], work);
  const single = flightAt(table.load(['k7'], work), 0);
  const mixed = table.load(['k2', 'y', 'k2', 'k40'], work);
  assert.ok(Array.isArray(mixed));
  assert.equal(single.batch, own);
  assert.equal(single.index, 7);
  assert.deepEqual(
    mixed.map((flight) => [flight.batch === own, flight.index]),
    [
      [true, 2],
      [false, 0],
      [true, 2],
      [true, 40],
    ],
  );
  assert.deepEqual(
    calls.map((call) => call.keys),
    [keys, ['x'], ['y']],
  );
  assert.equal(flightAt(other, 0).batch, calls[1]!.batch);
  assert.equal(table.size, keys.length + 2);
  for (const call of calls) call.respond();
  await own.done;
  assert.equal(flightValue(single), 'k7@0');
  assert.deepEqual(mixed.map(flightValue), ['k2@0', 'y@2', 'k2@0', 'k40@0']);
  // Joinable until the back-fill settles, then gone.
  assert.equal(flightAt(table.load(['k9'], work), 0).batch, own);
  for (const call of calls) call.settle();
  await tick();
  assert.equal(table.size, 0);
});

it('a forget reaching a large batch that has no index yet detaches that key only', async () => {
  const table = new SingleFlight<string>();
  const { calls, work } = controlled();
  const keys = bigKeys();
  const own = table.load(keys, work);
  assert.ok(!Array.isArray(own));
  table.forget('unrelated');
  assert.equal(own.detached, null, 'a forget of another key detaches nothing');
  assert.equal(table.size, keys.length);
  table.forget('k11');
  assert.equal(isCurrent(own, 11), false);
  assert.deepEqual(
    keys.flatMap((_, i) => (isCurrent(own, i) ? [] : [i])),
    [11],
  );
  assert.equal(table.has('k11'), false);
  assert.equal(table.has('k12'), true);
  assert.equal(table.size, keys.length - 1);
  // Forgotten twice: nothing changes. A new read of it starts a fetch of its own.
  table.forget('k11');
  const again = flightAt(table.load(['k11', 'k12'], work), 0);
  assert.notEqual(again.batch, own);
  assert.deepEqual(calls[1]!.keys, ['k11']);
  // The detached key's callers still get the fetched value.
  calls[0]!.respond();
  calls[1]!.respond();
  await own.done;
  assert.equal(own.values[11], 'k11@0');
  calls[0]!.settle();
  calls[1]!.settle();
  await tick();
  assert.equal(table.size, 0);
});

it('a forgetAll reaching a large batch that has no index yet detaches every key', async () => {
  const table = new SingleFlight<string>();
  const { calls, work } = controlled();
  const keys = bigKeys();
  const own = table.load(keys, work);
  assert.ok(!Array.isArray(own));
  table.forgetAll();
  assert.equal(table.size, 0);
  assert.ok(keys.every((_, i) => !isCurrent(own, i)));
  assert.equal(table.has('k0'), false);
  const fresh = table.load(keys, work);
  assert.ok(!Array.isArray(fresh), 'the same keys start a new batch of their own');
  assert.notEqual(fresh, own);
  calls[0]!.respond();
  calls[0]!.settle();
  await own.done;
  await tick();
  // The old batch ending does not take the new one's keys with it.
  assert.equal(table.size, keys.length);
  assert.equal(flightAt(table.load(['k3'], work), 0).batch, fresh);
  calls[1]!.respond();
  calls[1]!.settle();
  await tick();
  assert.equal(table.size, 0);
});

// The model: which keys are in flight (joinable), in which batch and at which position, and
// which positions of each batch not yet ended are still current.
type Op =
  | { kind: 'load'; keys: string[]; vouch: boolean }
  | { kind: 'forget'; key: string }
  | { kind: 'forgetAll' }
  | { kind: 'respond'; pick: number }
  | { kind: 'settle'; pick: number };

const ALPHABET = Array.from({ length: 40 }, (_, i) => `k${i}`);
const keyArb = fc.constantFrom(...ALPHABET);
const opArb: fc.Arbitrary<Op> = fc
  .oneof(
    // Any length up to 40 (not fast-check's default small sizes): large calls with repeats.
    { weight: 3, arbitrary: fc.array(keyArb, { minLength: 1, maxLength: 40, size: 'max' }) },
    // Distinct keys, large enough for a batch of its own (the lazy path when nothing is in flight).
    {
      weight: 3,
      arbitrary: fc.shuffledSubarray(ALPHABET, { minLength: OWN_TABLE_KEYS, maxLength: 40 }),
    },
    { weight: 1, arbitrary: fc.array(keyArb, { minLength: 1, maxLength: 3 }) },
  )
  .chain((keys) => fc.boolean().map((vouch): Op => ({ kind: 'load', keys, vouch })));
const opsArb = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: opArb },
    { weight: 3, arbitrary: keyArb.map((key): Op => ({ kind: 'forget', key })) },
    { weight: 1, arbitrary: fc.constant<Op>({ kind: 'forgetAll' }) },
    { weight: 3, arbitrary: fc.nat().map((pick): Op => ({ kind: 'respond', pick })) },
    { weight: 3, arbitrary: fc.nat().map((pick): Op => ({ kind: 'settle', pick })) },
  ),
  { maxLength: 60, size: 'max' },
);

it('matches a model of keys in flight and current under random interleavings', async () => {
  await fc.assert(
    fc.asyncProperty(opsArb, async (ops) => {
      const table = new SingleFlight<string>();
      const { calls, work } = controlled();
      // Model state.
      const inFlight = new Map<string, { call: number; index: number }>();
      const detached: Array<Set<number>> = [];
      const responded = new Set<number>();
      const ended = new Set<number>();
      // Every flight handed out, with what it must answer.
      const handed: Array<{ call: number; index: number; key: string }> = [];
      const callOf = (batch: FlightBatch<string>) => calls.findIndex((c) => c.batch === batch);

      const check = () => {
        assert.equal(table.size, inFlight.size);
        for (const key of ALPHABET) assert.equal(table.has(key), inFlight.has(key), key);
        for (let c = 0; c < calls.length; c++) {
          if (ended.has(c)) continue;
          const { batch } = calls[c]!;
          for (let i = 0; i < batch.keys.length; i++) {
            assert.equal(isCurrent(batch, i), !detached[c]!.has(i), `${c}:${i}`);
          }
        }
      };

      for (const op of ops) {
        if (op.kind === 'load') {
          const before = calls.length;
          const expected: Array<{ call: number; index: number }> = [];
          const fresh: string[] = [];
          for (const key of op.keys) {
            const joined = inFlight.get(key);
            if (joined !== undefined) {
              expected.push(joined);
              continue;
            }
            const at = fresh.indexOf(key);
            if (at >= 0) expected.push({ call: before, index: at });
            else {
              expected.push({ call: before, index: fresh.length });
              fresh.push(key);
            }
          }
          // A caller may vouch for distinct keys only when they are (getMany's deduped misses).
          const distinct = op.vouch && new Set(op.keys).size === op.keys.length;
          const loaded = table.load(op.keys, work, distinct);
          if (fresh.length === 0) assert.equal(calls.length, before, 'nothing new: no fetch');
          else {
            assert.equal(calls.length, before + 1, 'one fetch for the new keys');
            assert.deepEqual(calls[before]!.keys, fresh, 'each new key once, in order');
            detached.push(new Set());
            fresh.forEach((key, index) => {
              inFlight.set(key, { call: before, index });
            });
          }
          assert.equal(
            !Array.isArray(loaded),
            fresh.length === op.keys.length,
            'the batch itself exactly when every key was new and distinct',
          );
          op.keys.forEach((key, i) => {
            const flight = flightAt(loaded, i);
            assert.equal(callOf(flight.batch), expected[i]!.call, key);
            assert.equal(flight.index, expected[i]!.index, key);
            handed.push({ ...expected[i]!, key });
          });
        } else if (op.kind === 'forget') {
          const flight = inFlight.get(op.key);
          if (flight !== undefined) {
            detached[flight.call]!.add(flight.index);
            inFlight.delete(op.key);
          }
          table.forget(op.key);
        } else if (op.kind === 'forgetAll') {
          for (const { call, index } of inFlight.values()) detached[call]!.add(index);
          inFlight.clear();
          table.forgetAll();
        } else {
          const open = calls
            .map((_, c) => c)
            .filter((c) => (op.kind === 'respond' ? !responded.has(c) : responded.has(c)))
            .filter((c) => !ended.has(c));
          if (open.length === 0) continue;
          const c = open[op.pick % open.length]!;
          if (op.kind === 'respond') {
            responded.add(c);
            calls[c]!.respond();
            await calls[c]!.batch.done;
          } else {
            ended.add(c);
            calls[c]!.settle();
            await tick();
            for (const [key, flight] of inFlight) if (flight.call === c) inFlight.delete(key);
          }
        }
        check();
      }
      // Every flight handed out answers its own key's value from the fetch it joined.
      for (const c of calls.keys()) {
        if (!responded.has(c)) calls[c]!.respond();
        calls[c]!.settle();
      }
      await Promise.all(calls.map((c) => c.batch.done));
      for (const { call, index, key } of handed) {
        assert.equal(flightValue({ batch: calls[call]!.batch, index }), `${key}@${call}`);
      }
      await tick();
      assert.equal(table.size, 0, 'nothing left behind');
      for (const key of ALPHABET) assert.equal(table.has(key), false);
    }),
    { numRuns: 300 },
  );
});

it('a large batch of keys vouched distinct (no set of them) is found by its first lookup', async () => {
  const table = new SingleFlight<string>();
  const { calls, work } = controlled();
  const keys = bigKeys();
  const own = table.load(keys, work, true);
  assert.ok(!Array.isArray(own));
  assert.equal(table.size, keys.length);
  assert.equal(table.has('x'), false);
  assert.equal(table.has('k4'), true);
  table.forget('unrelated');
  assert.equal(own.detached, null);
  assert.equal(flightAt(table.load(['k6'], work), 0).batch, own, 'joined');
  table.forget('k8');
  assert.equal(isCurrent(own, 8), false);
  assert.equal(table.size, keys.length - 1);
  const second = table.load(
    bigKeys(OWN_TABLE_KEYS).map((key) => `${key}b`),
    work,
    true,
  );
  assert.ok(!Array.isArray(second));
  table.forgetAll();
  assert.equal(table.size, 0);
  assert.ok(keys.every((_, i) => !isCurrent(own, i)));
  assert.ok(second.keys.every((_, i) => !isCurrent(second, i)));
  for (const call of calls) {
    call.respond();
    call.settle();
  }
  await tick();
  assert.equal(table.size, 0);
});
