/**
 * MemoryStore against `Map` and `lru-cache` (bounded by `maxSize`) at 1M entries: keys like
 * `user:123456`, values ~100-byte strings. Each alternative runs in a process of its own,
 * rounds are interleaved, and the table shows medians and ratios against lru-cache.
 *
 *   npm run bench -- memory-store [--entries 1000000] [--rounds 3] [--eviction adaptive,fifo]
 *     [--max-bytes 64MiB]
 *
 * `--eviction` adds a tiercache row per listed policy beside the default one (each row
 * `tiercache/<policy>`, and a ratio to the default policy's row), to check that a policy keeps
 * the default's throughput. By default every store is large enough (512 B per entry) that
 * nothing is evicted; `--max-bytes` bounds tiercache and lru-cache to that many bytes instead, so
 * the fill and the reads run with evictions (gets then include misses, and the checks that every
 * entry is still there are skipped). Under `--max-bytes` only the ratios between tiercache rows
 * compare like with like: lru-cache's `maxSize` counts the characters of key and value, so it
 * holds more entries than tiercache in the same bound (and gets more hits), `Map` stays
 * unbounded, and the bytes-per-entry rows divide by the entries set, not the entries held.
 *
 * Measured per alternative: set and get throughput (uniform random hits, the value returned
 * as a string, as `Map` and lru-cache return one) with fresh key strings (each lookup builds its
 * key, as a server parsing requests does) and with reused key strings (a pool of 10,000 key
 * strings the caller keeps and looks up again and again, so V8 has their hashes cached), JS heap and heap + external bytes per
 * entry, the process's RSS growth read with `ps -o rss=` (the kernel's figure, as from outside;
 * it includes allocator slack and pages the heap and external counts miss), the full-GC pause with the cache live and how much it adds to an empty process's own
 * full GC, GC pauses during the run, and the memory of 10,000 empty instances.
 */
import { spawnSync } from 'node:child_process';
import { LRUCache } from 'lru-cache';
import {
  type EvictionPolicy,
  MemoryStore,
  parseBytes,
  setManyStoresThreshold,
} from 'tiercache/memory';
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

/** `tiercache` (its default policy), `tiercache/<policy>`, `lru-cache` or `Map`. */
type Alternative = string;
const EXTRA_POLICIES = (argValue('--eviction') ?? '').split(',').filter((name) => name !== '');
const ALTERNATIVES: Alternative[] = [
  'tiercache',
  'lru-cache',
  'Map',
  ...EXTRA_POLICIES.map((policy) => `tiercache/${policy}`),
];
const maxBytesArg = argValue('--max-bytes');
const MAX_BYTES = maxBytesArg === undefined ? undefined : parseBytes(maxBytesArg);
if (maxBytesArg !== undefined && MAX_BYTES === undefined) {
  throw new Error(`--max-bytes: expected a size such as 64MiB, got ${maxBytesArg}`);
}

interface Cache {
  set(key: string, value: string): void;
  get(key: string): string | undefined;
}

interface RunResult {
  setOpsPerSec: number;
  getOpsPerSec: number;
  getReusedOpsPerSec: number;
  heapBytesPerEntry: number;
  totalBytesPerEntry: number;
  rssGrowthMiB: number;
  fullGcMs: number;
  emptyFullGcMs: number;
  gcPauseTotalMs: number;
  gcCount: number;
  checksum: number;
}

interface EmptyResult {
  mib: number;
}

const VALUE_BYTES = 100;

/** This process's resident set in MiB, as `ps -o rss=` reports it (what is judged from outside). */
function psRssMiB(): number {
  const out = spawnSync('ps', ['-o', 'rss=', '-p', String(process.pid)], { encoding: 'utf8' });
  return Number(out.stdout.trim()) / 1024;
}
const KEY_BASE = 100000;

function makeCache(alt: Alternative, entries: number): Cache {
  const bytes = MAX_BYTES === undefined ? Math.max(64 * 2 ** 20, entries * 512) : MAX_BYTES;
  if (alt === 'tiercache' || alt.startsWith('tiercache/')) {
    // `tiercache` is the default policy; `tiercache/<policy>` names one.
    const eviction = alt === 'tiercache' ? undefined : (alt.slice(10) as EvictionPolicy);
    const store = new MemoryStore({
      name: 'bench',
      maxBytes: bytes,
      budget: null,
      ...(eviction ? { eviction } : {}),
    });
    return {
      set: (k, v) => {
        store.set(k, v);
      },
      get: (k) => store.getString(k),
    };
  }
  switch (alt) {
    case 'lru-cache': {
      const lru = new LRUCache<string, string>({
        maxSize: bytes,
        sizeCalculation: (value, key) => key.length + value.length,
      });
      return {
        set: (k, v) => {
          lru.set(k, v);
        },
        get: (k) => lru.get(k),
      };
    }
    case 'Map': {
      const map = new Map<string, string>();
      return {
        set: (k, v) => {
          map.set(k, v);
        },
        get: (k) => map.get(k),
      };
    }
    default:
      throw new Error(`unknown alternative ${alt}`);
  }
}

/** A flat (non-cons) ~100-byte string unique to `i`, built the same way for every alternative. */
function makeValue(scratch: Buffer, i: number): string {
  scratch.fill(0x61);
  scratch.write(`{"id":${i},"name":"user${i}","bio":"`, 0, 'latin1');
  scratch.write('"}', VALUE_BYTES - 2, 'latin1');
  return scratch.toString('latin1');
}

async function worker(alt: Alternative, entries: number): Promise<RunResult> {
  settleHeap();
  const emptyFullGc = fullGcMs();
  const base = process.memoryUsage();
  const baseRss = psRssMiB();

  // Keys and values are built in batches before the clock starts for each batch, as a service
  // receives them: only the copies each cache keeps stay alive, and building the strings is not
  // timed. (Holding all 1M keys and values up front would keep ~150 MB of strings live during
  // the fill and make every GC that the fill triggers pay to trace them.)
  const BATCH = 10_000;
  const keys = new Array<string>(BATCH);
  const values = new Array<string>(BATCH);
  const scratch = Buffer.alloc(VALUE_BYTES);

  const gcPauses = recordGcPauses();
  const cache = makeCache(alt, entries);
  let setMs = 0;
  for (let base = 0; base < entries; base += BATCH) {
    const n = Math.min(BATCH, entries - base);
    for (let j = 0; j < n; j++) {
      keys[j] = `user:${KEY_BASE + base + j}`;
      values[j] = makeValue(scratch, base + j);
    }
    const t0 = performance.now();
    for (let j = 0; j < n; j++) cache.set(keys[j]!, values[j]!);
    setMs += performance.now() - t0;
  }
  keys.fill('');
  values.fill('');

  // Uniform random hits with fresh key strings (not the objects that were stored), in batches.
  const lookups = entries;
  let seed = 42;
  let checksum = 0;
  let getMs = 0;
  for (let done = 0; done < lookups; done += BATCH) {
    const n = Math.min(BATCH, lookups - done);
    for (let j = 0; j < n; j++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      keys[j] = `user:${KEY_BASE + (seed % entries)}`;
    }
    const t0 = performance.now();
    for (let j = 0; j < n; j++) checksum += cache.get(keys[j]!)?.length ?? 0;
    getMs += performance.now() - t0;
  }
  keys.fill('');
  if (MAX_BYTES === undefined && checksum !== lookups * VALUE_BYTES)
    throw new Error(`${alt}: lost entries (${checksum})`);
  const pauses = await gcPauses.stop();

  // Reused key strings: a pool the caller keeps, each looked up ~100 times in the same random
  // order for every alternative (V8 caches a string's hash in the string, which Map-based
  // caches reuse; a byte store hashes the characters itself either way).
  const POOL = 10_000;
  const pool = new Array<string>(POOL);
  for (let j = 0; j < POOL; j++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    pool[j] = `user:${KEY_BASE + (seed % entries)}`;
  }
  const order = new Uint32Array(BATCH);
  let reusedChecksum = 0;
  let reusedMs = 0;
  for (let done = 0; done < lookups; done += BATCH) {
    const n = Math.min(BATCH, lookups - done);
    for (let j = 0; j < n; j++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      order[j] = seed % POOL;
    }
    const t0 = performance.now();
    for (let j = 0; j < n; j++) reusedChecksum += cache.get(pool[order[j]!]!)?.length ?? 0;
    reusedMs += performance.now() - t0;
  }
  if (MAX_BYTES === undefined && reusedChecksum !== lookups * VALUE_BYTES)
    throw new Error(`${alt}: lost entries`);
  pool.fill('');

  settleHeap();
  const after = process.memoryUsage();
  const afterRss = psRssMiB();
  const liveFullGc = fullGcMs();
  // Keep the cache reachable until every figure above is taken.
  if (cache.get(`user:${KEY_BASE}`) === undefined && MAX_BYTES === undefined) {
    throw new Error('cache lost its first entry');
  }

  return {
    setOpsPerSec: entries / (setMs / 1000),
    getOpsPerSec: lookups / (getMs / 1000),
    getReusedOpsPerSec: lookups / (reusedMs / 1000),
    heapBytesPerEntry: (after.heapUsed - base.heapUsed) / entries,
    totalBytesPerEntry:
      (after.heapUsed + after.external - (base.heapUsed + base.external)) / entries,
    rssGrowthMiB: afterRss - baseRss,
    fullGcMs: liveFullGc,
    emptyFullGcMs: emptyFullGc,
    gcPauseTotalMs: pauses.totalMs,
    gcCount: pauses.count,
    checksum,
  };
}

function emptyWorker(alt: Alternative, count: number): EmptyResult {
  settleHeap();
  const before = process.memoryUsage();
  const held: unknown[] = [];
  for (let i = 0; i < count; i++) {
    if (alt === 'tiercache') held.push(new MemoryStore({ name: `room-${i}` }));
    else if (alt.startsWith('tiercache/'))
      held.push(
        new MemoryStore({
          name: `room-${i}`,
          eviction: alt.slice('tiercache/'.length) as EvictionPolicy,
        }),
      );
    else if (alt === 'lru-cache')
      held.push(
        new LRUCache<string, string>({ maxSize: 64 * 2 ** 20, sizeCalculation: (v) => v.length }),
      );
    else held.push(new Map());
  }
  settleHeap();
  const after = process.memoryUsage();
  const bytes = after.rss - before.rss;
  if (held.length !== count) throw new Error('unreachable');
  return { mib: Math.max(0, bytes) / 2 ** 20 };
}

/** tiercache against lru-cache, then each extra policy's row against tiercache's default. */
function ratios(values: number[]): string[] {
  const ratio = (a: number, b: number) => (b === 0 ? '-' : `${fmt(a / b, 2)}x`);
  return [ratio(values[0]!, values[1]!), ...values.slice(3).map((v) => ratio(v, values[0]!))];
}

async function main(): Promise<void> {
  const role = argValue('--worker');
  const entries = argNumber('--entries', 1_000_000);
  if (role) {
    // 10,000 stores from one line is exactly what the warning is for; here it is the point.
    setManyStoresThreshold(Number.POSITIVE_INFINITY);
    const [kind, alt] = role.split(':') as [string, Alternative];
    const result = kind === 'empty' ? emptyWorker(alt, 10_000) : await worker(alt, entries);
    console.log(JSON.stringify(result));
    return;
  }

  const rounds = argNumber('--rounds', 3);
  // The workers build the caches, so they need the bound too.
  const bound = maxBytesArg === undefined ? [] : ['--max-bytes', maxBytesArg];
  const script = new URL(import.meta.url).pathname;
  const runs = new Map<Alternative, RunResult[]>(ALTERNATIVES.map((a) => [a, []]));
  const empties = new Map<Alternative, EmptyResult[]>(ALTERNATIVES.map((a) => [a, []]));
  console.log(`${fmt(entries)} entries, ${rounds} interleaved rounds, one process per run`);
  for (let r = 0; r < rounds; r++) {
    for (const alt of ALTERNATIVES) {
      process.stdout.write(`  round ${r + 1}/${rounds}: ${alt}...`);
      runs
        .get(alt)!
        .push(runWorker<RunResult>(script, `run:${alt}`, ['--entries', String(entries), ...bound]));
      empties.get(alt)!.push(runWorker<EmptyResult>(script, `empty:${alt}`));
      process.stdout.write(' done\n');
    }
  }

  const med = (alt: Alternative, pick: (r: RunResult) => number) =>
    median(runs.get(alt)!.map(pick));
  const metrics: Array<[string, (r: RunResult) => number, number, 'higher' | 'lower']> = [
    ['set ops/s', (r) => r.setOpsPerSec, 0, 'higher'],
    ['get ops/s (random hits, fresh key strings)', (r) => r.getOpsPerSec, 0, 'higher'],
    ['get ops/s (random hits, reused key strings)', (r) => r.getReusedOpsPerSec, 0, 'higher'],
    ['JS heap B/entry', (r) => r.heapBytesPerEntry, 1, 'lower'],
    ['heap + external B/entry', (r) => r.totalBytesPerEntry, 1, 'lower'],
    ['RSS growth, ps -o rss= (MiB)', (r) => r.rssGrowthMiB, 1, 'lower'],
    ['full GC, cache live (ms)', (r) => r.fullGcMs, 1, 'lower'],
    ['full GC added over empty (ms)', (r) => Math.max(0, r.fullGcMs - r.emptyFullGcMs), 2, 'lower'],
    ['GC pauses during run (ms)', (r) => r.gcPauseTotalMs, 0, 'lower'],
    ['GC count during run', (r) => r.gcCount, 0, 'lower'],
  ];
  const rows = metrics.map(([label, pick, decimals]) => {
    const values = ALTERNATIVES.map((alt) => med(alt, pick));
    return [label, ...values.map((v) => fmt(v, decimals)), ...ratios(values)];
  });
  const emptyRow = ALTERNATIVES.map((alt) => median(empties.get(alt)!.map((e) => e.mib)));
  rows.push([
    '10,000 empty instances (MiB rss)',
    ...emptyRow.map((v) => fmt(v, 1)),
    ...ratios(emptyRow),
  ]);
  console.log();
  printTable(
    [
      'metric (median)',
      ...ALTERNATIVES,
      'tiercache / lru-cache',
      ...EXTRA_POLICIES.map((policy) => `${policy} / default`),
    ],
    rows,
  );
  console.log(`\n${machineLine()}`);
}

await main();
