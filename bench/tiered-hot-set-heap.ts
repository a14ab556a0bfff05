/**
 * What the decoded hot set costs the heap and the garbage collector. Each variant runs in a
 * process of its own (memory-store bench style): a TieredCache without Redis holding 100,000
 * JSON values (~100 bytes) in its memory tier, read along a Zipf 1.0 trace; the hot set off, or
 * on with `--hot` keys (default 10,000). Measured with the heap settled: the JS heap the cache
 * holds after the fill and after the reads (the hot set's members are the difference), the full-GC pause with the cache live, and GC pauses and read
 * throughput during the reads.
 *
 *   npm run bench -- tiered-hot-set-heap [--hot 10000] [--rounds 3]
 */
import { TieredCache } from 'tiercache';
import {
  argNumber,
  argValue,
  fmt,
  fullGcMs,
  machineLine,
  median,
  printTable,
  recordGcPauses,
  runWorker,
  settleHeap,
} from './_harness.ts';

const KEYS = 100_000;
const READS = 1_000_000;
const hotEntries = argNumber('--hot', 10_000);

interface Result {
  heapAfterFillMiB: number;
  heapAfterReadsMiB: number;
  fullGcMs: number;
  gcPauseMs: number;
  gcCount: number;
  readsPerSec: number;
  hotEntries: number;
  admitted: number;
  hotHits: number;
}

function trace(count: number): Uint32Array {
  const cdf = new Float64Array(KEYS);
  let sum = 0;
  for (let i = 0; i < KEYS; i++) cdf[i] = sum += 1 / (i + 1);
  let seed = 12345;
  const out = new Uint32Array(count);
  for (let n = 0; n < count; n++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const target = (seed / 2 ** 32) * sum;
    let lo = 0;
    let hi = KEYS - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    out[n] = lo;
  }
  return out;
}

async function worker(hot: boolean): Promise<Result> {
  const keys = Array.from({ length: KEYS }, (_, i) => `user:${100_000 + i}`);
  const order = trace(65_536);
  const cache = new TieredCache<unknown>({
    name: 'bench-hot-heap',
    redis: false,
    memory: { maxBytes: 256 * 2 ** 20, budget: null },
    memoryTtlMs: 0,
    ...(hot ? { hotSet: { maxEntries: hotEntries, maxBytes: 8 * 2 ** 20 } } : {}),
  });
  settleHeap();
  const empty = process.memoryUsage().heapUsed;
  for (let i = 0; i < KEYS; i += 1000) {
    await cache.setMany(
      keys.slice(i, i + 1000).map(
        (key, j) =>
          [
            key,
            {
              id: i + j,
              name: `user ${i + j}`,
              email: `u${i + j}@example.com`,
              score: (i + j) * 7,
            },
          ] as const,
      ),
    );
  }
  settleHeap();
  const filled = process.memoryUsage().heapUsed;
  const pauses = recordGcPauses();
  const t0 = performance.now();
  for (let n = 0; n < READS; n++) await cache.get(keys[order[n & 65_535]!]!);
  const readMs = performance.now() - t0;
  const gc = await pauses.stop();
  settleHeap();
  const after = process.memoryUsage().heapUsed;
  const result: Result = {
    heapAfterFillMiB: (filled - empty) / 2 ** 20,
    heapAfterReadsMiB: (after - empty) / 2 ** 20,
    fullGcMs: fullGcMs(),
    gcPauseMs: gc.totalMs,
    gcCount: gc.count,
    readsPerSec: READS / (readMs / 1000),
    hotEntries: cache.stats().hotSet.entries,
    admitted: cache.stats().hotSet.admitted,
    hotHits: cache.stats().hotSet.hits,
  };
  await cache.close();
  return result;
}

const role = argValue('--worker');
if (role) {
  console.log(JSON.stringify(await worker(role === 'on')));
} else {
  const rounds = argNumber('--rounds', 3);
  const script = new URL(import.meta.url).pathname;
  const runs = { off: [] as Result[], on: [] as Result[] };
  for (let r = 0; r < rounds; r++) {
    for (const variant of ['off', 'on'] as const) {
      runs[variant].push(runWorker<Result>(script, variant, ['--hot', String(hotEntries)]));
    }
  }
  const row = (label: string, pick: (r: Result) => number, decimals: number) => {
    const off = median(runs.off.map(pick));
    const on = median(runs.on.map(pick));
    return [label, fmt(off, decimals), fmt(on, decimals)];
  };
  printTable(
    ['metric (median)', 'hot set off', `hot set on (${fmt(hotEntries)} keys)`],
    [
      row('reads/s (Zipf 1.0, 100k keys)', (r) => r.readsPerSec, 0),
      row('hot set members after the reads', (r) => r.hotEntries, 0),
      row('JS heap of the filled cache (MiB)', (r) => r.heapAfterFillMiB, 2),
      row('JS heap of the cache after the reads (MiB)', (r) => r.heapAfterReadsMiB, 2),
      row('full GC, cache live (ms)', (r) => r.fullGcMs, 2),
      row('GC pauses during 1M reads (ms)', (r) => r.gcPauseMs, 0),
      row('GC count during 1M reads', (r) => r.gcCount, 0),
    ],
  );
  console.log(`\n${rounds} interleaved rounds, one process per run · ${machineLine()}`);
}
