/**
 * One point of the trace replay (bench/traces.ts), block by block: where in the trace a
 * MemoryStore policy gains or loses misses against lru-cache. The replay table gives one miss
 * ratio per point; this splits it, so that a loss made in the cold start can be told from one
 * spread over the whole trace (docs/memory-store.md, "Where it still loses", quotes its output).
 *
 *   npm run bench -- trace-point --trace orm-night --entries 827 [--stores adaptive,s3fifo]
 *                                [--seed 1] [--blocks 20] [--cap 1000000]
 *
 * `--trace`: a trace of `../shared/traces` by its bench/traces.ts name, or `phase`. `--entries`:
 * the capacity, as in the replay table (each store's `maxBytes` is calibrated the same way, to
 * hold that many entries on average after the warm-up). `--blocks`: how many equal blocks of
 * requests the trace is cut into. `--seed`: a fixed hash seed, so that a run repeats exactly (as
 * in bench/traces.ts; default 1 here, since this tool is for comparing runs). Prints misses per
 * block for lru-cache, W-TinyLFU and each store, each store's difference to lru-cache and its
 * running sum; then the totals. A store's `maxBytes` is calibrated from a first guess of its
 * own (the table carries each store's last result over to the next point), so its total can
 * differ from the table's for the same seed in the fourth decimal, within the calibration's
 * 0.1 % of entries held.
 */
import type { EvictionPolicy } from 'tiercache/memory';
import { argNumber, argValue, fmt, machineLine, printTable } from './_harness.ts';
import { loadNamedTrace } from './_trace-files.ts';
import {
  keysOf,
  type ReplaySetup,
  replayAtCapacity,
  replayReference,
  type StoreRun,
} from './_trace-replay.ts';

function main(): void {
  const name = argValue('--trace');
  const capacity = argNumber('--entries', 0);
  if (name === undefined || !(capacity > 0)) {
    console.error(
      'usage: npm run bench -- trace-point --trace NAME --entries N [--stores adaptive,s3fifo] [--seed 1] [--blocks 20] [--cap 1000000]',
    );
    process.exit(2);
  }
  const stores = (argValue('--stores') ?? 'adaptive').split(',') as EvictionPolicy[];
  const seed = argNumber('--seed', 1) | 0;
  const blockCount = Math.max(1, argNumber('--blocks', 20));
  const trace = loadNamedTrace(name, argNumber('--cap', 1_000_000));
  const n = trace.requests.length;
  const blockSize = Math.ceil(n / blockCount);
  const setup: ReplaySetup = { trace, keys: keysOf(trace), seed, blockSize };

  const lru = replayReference(setup, 'lru-cache', capacity);
  const tinyLfu = replayReference(setup, 'w-tinylfu', capacity);
  const runs: StoreRun[] = stores.map((policy) => replayAtCapacity(setup, policy, capacity));

  console.log(
    `${trace.name} at ${fmt(capacity)} entries: ${fmt(n)} requests in ${lru.blockMisses.length} blocks of ${fmt(blockSize)}, hash seed ${seed} (${machineLine()})\n`,
  );
  const running = stores.map(() => 0);
  const rows = lru.blockMisses.map((lruMisses, b) => {
    const cells = [
      `${fmt(b * blockSize)}-${fmt(Math.min(n, (b + 1) * blockSize) - 1)}`,
      fmt(lruMisses),
      fmt(tinyLfu.blockMisses[b]!),
    ];
    runs.forEach((run, s) => {
      const diff = run.blockMisses[b]! - lruMisses;
      running[s]! += diff;
      cells.push(fmt(run.blockMisses[b]!), signed(diff), signed(running[s]!));
    });
    return cells;
  });
  const ratio = (misses: number) => (misses / n).toFixed(4);
  rows.push([
    'miss ratio',
    ratio(lru.misses),
    ratio(tinyLfu.misses),
    ...runs.flatMap((run) => [
      ratio(run.misses),
      `${(run.misses / lru.misses).toFixed(3)}x`,
      `held ${(run.meanHeld / capacity).toFixed(3)}`,
    ]),
  ]);
  printTable(
    [
      'requests',
      'lru-cache',
      'w-tinylfu',
      ...stores.flatMap((s) => [`tiercache ${s}`, `${s} - lru`, `${s} - lru, running`]),
    ],
    rows,
  );
}

function signed(value: number): string {
  return `${value > 0 ? '+' : ''}${fmt(value)}`;
}

main();
