/**
 * Hash flooding: keys crafted so that all share one 32-bit hash under the store's former,
 * unseeded hash (bench/_hash-collisions.ts), against random keys of the same length (80
 * alphanumeric characters), in a MemoryStore with its seeded hash and, for contrast, with the
 * unseeded one (fewer keys there: every probe walks a run as long as the store). Per-operation
 * CPU time of `set` (every key, new) and `getString` (every key, a hit); the alternatives are
 * interleaved in one process, round after round, and the table shows medians and the ratio
 * crafted / random.
 *
 *   npm run bench -- hash-flooding [--keys 50000] [--unseeded-keys 5000] [--rounds 5]
 */
import { MemoryStore } from 'tiercache/memory';
import { HASH_FUNCTION } from '../src/memory/test-hooks.ts';
import { argNumber, fmt, machineLine, median, printTable } from './_harness.ts';
import { craftCollidingKeys, randomKeys, unseededHash } from './_hash-collisions.ts';

const keyCount = argNumber('--keys', 50_000);
const unseededCount = argNumber('--unseeded-keys', 5_000);
const rounds = argNumber('--rounds', 5);

function cpuNs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) * 1000;
}

/** ns per set and per get for `keys` in a fresh store. */
function run(keys: readonly string[], unseeded: boolean): { set: number; get: number } {
  const store = new MemoryStore({
    name: 'flood',
    maxBytes: 256 * 2 ** 20,
    budget: null,
    ...(unseeded ? { [HASH_FUNCTION]: unseededHash } : {}),
  });
  let t0 = cpuNs();
  for (const key of keys) store.set(key, 'value');
  const set = (cpuNs() - t0) / keys.length;
  let found = 0;
  t0 = cpuNs();
  for (const key of keys) if (store.getString(key) !== undefined) found++;
  const get = (cpuNs() - t0) / keys.length;
  if (found !== keys.length) throw new Error(`only ${found} of ${keys.length} keys found`);
  if (store.size !== keys.length) throw new Error(`store holds ${store.size} keys`);
  store.close();
  return { set, get };
}

const t0 = performance.now();
const crafted = craftCollidingKeys(keyCount);
const craftMs = performance.now() - t0;
const random = randomKeys(keyCount, crafted[0]!.length);
const cases = [
  { label: `seeded hash, ${fmt(keyCount)} keys`, keys: [random, crafted], unseeded: false },
  {
    label: `unseeded hash, ${fmt(unseededCount)} keys`,
    keys: [random.slice(0, unseededCount), crafted.slice(0, unseededCount)],
    unseeded: true,
  },
] as const;
const results = cases.map(() => [
  { set: [] as number[], get: [] as number[] },
  { set: [] as number[], get: [] as number[] },
]);
for (let round = 0; round < rounds; round++) {
  for (let c = 0; c < cases.length; c++) {
    // Alternate which key set runs first in each round.
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const k of order) {
      const { set, get } = run(cases[c]!.keys[k]!, cases[c]!.unseeded);
      results[c]![k]!.set.push(set);
      results[c]![k]!.get.push(get);
    }
  }
}
const rows: string[][] = [];
for (let c = 0; c < cases.length; c++) {
  for (const op of ['set', 'get'] as const) {
    const randomNs = median(results[c]![0]![op]);
    const craftedNs = median(results[c]![1]![op]);
    rows.push([
      cases[c]!.label,
      op,
      fmt(randomNs),
      fmt(craftedNs),
      `${fmt(craftedNs / randomNs, 2)}x`,
    ]);
  }
}
console.log(
  `${fmt(keyCount)} keys crafted to collide under the unseeded hash in ${fmt(craftMs)} ms; ${rounds} rounds, CPU ns per operation (median)\n`,
);
printTable(['store', 'op', 'random keys', 'crafted keys', 'crafted / random'], rows);
console.log(`\n${machineLine()}`);
