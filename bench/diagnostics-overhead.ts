/**
 * The cost of leaving diagnostics on. A cache-heavy workload (MemoryStore gets and sets of JSON
 * values, parsed and built per operation, as a request handler would) runs with the in-use heap
 * sampler off, at its default interval (512 KiB) and at V8's own default (32 KiB), interleaved
 * in one process (the sampler can be switched on and off, so every mode runs on the same warmed
 * code and heap); medians and the ratio against "off". Then the time to produce each profile.
 *
 *   npm run bench -- diagnostics-overhead [--reps 7] [--ops 200000]
 */
import { performance } from 'node:perf_hooks';
import { takeCpuProfile } from '../src/diagnostics/cpu-profiler.ts';
import {
  DEFAULT_HEAP_SAMPLING_INTERVAL_BYTES,
  startHeapSampler,
  stopHeapSampler,
  takeAllocsProfile,
  takeHeapProfile,
} from '../src/diagnostics/heap-profiler.ts';
import { encodeProfile } from '../src/diagnostics/pprof-builder.ts';
import { MemoryStore } from '../src/memory/index.ts';
import { argNumber, fmt, machineLine, median, printTable } from './_harness.ts';

const reps = argNumber('--reps', 7);
const ops = argNumber('--ops', 200_000);
const KEYS = 50_000;

const store = new MemoryStore({ name: 'bench-diagnostics', maxBytes: 64 * 1024 * 1024 });
const keys = Array.from({ length: KEYS }, (_, i) => `user:${100_000 + i}`);
for (const [i, key] of keys.entries()) store.set(key, JSON.stringify(profileOf(i)));

function profileOf(i: number): { id: number; name: string; score: number; tags: string[] } {
  return { id: i, name: `player-${i}`, score: i * 7, tags: ['room', `r${i % 100}`] };
}

/** 80% reads (decode + parse), 20% writes (build + stringify): every op allocates. */
function workload(count: number, seed: number): number {
  let x = seed;
  let checksum = 0;
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const key = keys[x % KEYS]!;
    if (x % 5 === 0) {
      store.set(key, JSON.stringify(profileOf(x)));
    } else {
      const text = store.getString(key);
      if (text !== undefined) checksum += (JSON.parse(text) as { score: number }).score & 1;
    }
  }
  return checksum;
}

const modes = [
  { name: 'sampler off', interval: 0 },
  {
    name: `sampler on, ${DEFAULT_HEAP_SAMPLING_INTERVAL_BYTES / 1024} KiB (default)`,
    interval: DEFAULT_HEAP_SAMPLING_INTERVAL_BYTES,
  },
  { name: 'sampler on, 32 KiB (V8 default)', interval: 32 * 1024 },
] as const;

async function setMode(interval: number): Promise<void> {
  await stopHeapSampler();
  if (interval > 0) await startHeapSampler(interval);
}

console.log(
  `diagnostics overhead: ${fmt(ops)} ops × ${reps} interleaved reps per mode, ${fmt(KEYS)} keys\n`,
);
workload(ops, 1); // warm-up: JIT the workload before anything is timed
const rates = new Map<string, number[]>(modes.map((m) => [m.name, []]));
for (let rep = 0; rep < reps; rep++) {
  // Rotate the order each rep so no mode always runs first after a GC-heavy one.
  for (let k = 0; k < modes.length; k++) {
    const mode = modes[(rep + k) % modes.length]!;
    await setMode(mode.interval);
    globalThis.gc?.();
    const start = performance.now();
    workload(ops, rep * 31 + k);
    rates.get(mode.name)!.push(ops / ((performance.now() - start) / 1000));
  }
}
const baseline = median(rates.get(modes[0].name)!);
printTable(
  ['mode', 'median ops/s', 'vs off', 'min', 'max'],
  modes.map((m) => {
    const r = rates.get(m.name)!;
    return [
      m.name,
      fmt(median(r)),
      `${((median(r) / baseline) * 100).toFixed(1)}%`,
      fmt(Math.min(...r)),
      fmt(Math.max(...r)),
    ];
  }),
);

// Time to produce each profile, beyond its window, with the default sampler running.
await setMode(DEFAULT_HEAP_SAMPLING_INTERVAL_BYTES);
// A live JS population (a session map) so the heap profile has something to show.
const sessions = new Map(keys.map((key, i) => [key, profileOf(i)]));
workload(ops, 7);
const timings: string[][] = [];
const time = async (
  name: string,
  windowMs: number,
  take: () => Promise<import('pprof-format').Profile>,
) => {
  const busy = setInterval(() => workload(2_000, 3), 5);
  const start = performance.now();
  const bytes = encodeProfile(await take()).length;
  const total = performance.now() - start;
  clearInterval(busy);
  timings.push([name, fmt(total - windowMs, 1), fmt(bytes)]);
};
await time('heap', 0, () => takeHeapProfile());
await time('heap?gc=1', 0, () => takeHeapProfile({ gc: true }));
await time('allocs?seconds=1', 1000, () => takeAllocsProfile(1));
await time('profile?seconds=1', 1000, () => takeCpuProfile(1));
console.log('');
printTable(['profile', 'ms beyond the window', 'gzipped bytes'], timings);
console.log(`\n${machineLine()}`);
await stopHeapSampler();
store.close();
sessions.clear();
