/**
 * Miss ratios of the MemoryStore's eviction policies, `s3fifo` and `fifo`, against lru-cache
 * at equal bytes, on traces generated in-process from a fixed seed; then get/set throughput of
 * `fifo` and `adaptive` against `s3fifo`, in a store at 10 % (evicting) and in one that holds
 * 500k entries without evicting (the shape of bench/memory-store.ts). Writes the miss-ratio curves to docs/images/hit-ratio.svg.
 *
 *   npm run bench -- hit-ratio [--requests 2000000] [--sizes 1,2,5,10] [--rounds 3]
 *                              [--only throughput]
 *
 * Traces (1M keys; every key 11 characters, every value 100 bytes, so every entry takes the
 * same 136 bytes: header 24 + key 11 + value 100, 8-aligned): Zipf with alpha 0.6, 0.8, 1.0
 * and 1.2; Zipf 1.0 where every 150k requests a scan of 50k keys never seen before or after
 * runs through (a quarter of all requests); a loop over 1.1x as many keys as the cache holds.
 * Each request is a read, and a miss is followed by a write of the key (a read-through cache).
 *
 * Cache sizes are percentages of the working set in bytes (1M keys x 136 bytes). The
 * MemoryStore is given that many `maxBytes`, which also pay for its index and ghost queue;
 * lru-cache is given the same `maxSize`, each entry counted as the MemoryStore counts it
 * (header + key + value, 8-aligned), so lru-cache holds somewhat more entries: the table shows
 * how many each held at the end. Miss ratios are deterministic; the throughput figures are not
 * (a shared 2-core machine), so treat them as rough.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { LRUCache } from 'lru-cache';
import { MemoryStore } from 'tiercache/memory';
import { argNumber, argValue, fmt, machineLine, median, printTable } from './_harness.ts';
import { missRatioSvg, type Panel } from './_hit-ratio-plot.ts';
import {
  loopTrace,
  seededRandom,
  type Trace,
  zipfTrace,
  zipfWithScans,
} from './_hit-ratio-traces.ts';

const KEYS = 1_000_000;
const VALUE = 'v'.repeat(100);
const KEY_CHARS = 11;
const ENTRY_BYTES = Math.ceil((24 + KEY_CHARS + VALUE.length) / 8) * 8;
const WORKING_SET_BYTES = KEYS * ENTRY_BYTES;
const SEED = 20231023;

const CACHES = ['fifo', 's3fifo', 'lru-cache'] as const;
type CacheName = (typeof CACHES)[number];
const COLORS: Record<CacheName, string> = {
  fifo: '#d62728',
  s3fifo: '#1f77b4',
  'lru-cache': '#7f7f7f',
};

interface Cache {
  /** Whether `key` was found; a miss writes it. */
  request(key: string): boolean;
  /** Entries held now. */
  size(): number;
}

function keyOf(id: number): string {
  return `key:${String(id).padStart(KEY_CHARS - 4, '0')}`;
}

function makeCache(name: CacheName, bytes: number): Cache {
  if (name === 'lru-cache') {
    const lru = new LRUCache<string, string>({
      maxSize: bytes,
      // What the MemoryStore counts for the same entry: header + key + value, 8-aligned.
      sizeCalculation: (value, key) => Math.ceil((24 + key.length + value.length) / 8) * 8,
    });
    return {
      request(key) {
        if (lru.get(key) !== undefined) return true;
        lru.set(key, VALUE);
        return false;
      },
      size: () => lru.size,
    };
  }
  const store = new MemoryStore({
    name: `hit-ratio-${name}`,
    maxBytes: bytes,
    budget: null,
    eviction: name,
  });
  return {
    request(key) {
      if (store.getString(key) !== undefined) return true;
      store.set(key, VALUE);
      return false;
    },
    size: () => store.size,
  };
}

interface Run {
  missRatio: number;
  entries: number;
}

function run(name: CacheName, bytes: number, trace: Trace, keys: readonly string[]): Run {
  const cache = makeCache(name, bytes);
  const requests = trace.requests;
  let misses = 0;
  for (let i = 0; i < requests.length; i++) if (!cache.request(keys[requests[i]!]!)) misses++;
  return { missRatio: misses / requests.length, entries: cache.size() };
}

const THROUGHPUT_POLICIES = ['fifo', 's3fifo', 'adaptive'] as const;

function throughput(rounds: number, keys: readonly string[]): void {
  const bytes = Math.floor(WORKING_SET_BYTES / 10);
  const results = Object.fromEntries(
    THROUGHPUT_POLICIES.map((eviction) => [eviction, { set: [] as number[], get: [] as number[] }]),
  ) as Record<(typeof THROUGHPUT_POLICIES)[number], { set: number[]; get: number[] }>;
  const gets = 2_000_000;
  for (let round = 0; round < rounds; round++) {
    for (const eviction of THROUGHPUT_POLICIES) {
      const store = new MemoryStore({ maxBytes: bytes, budget: null, eviction });
      // set: every key once, so the store is full and evicting for 90 % of the run.
      let t0 = performance.now();
      for (let id = 0; id < KEYS; id++) store.set(keys[id]!, VALUE);
      results[eviction].set.push(KEYS / ((performance.now() - t0) / 1000));
      // get: hits only, on keys drawn uniformly from those held, so every policy does the same work.
      const held = [...store.keys()];
      const random = seededRandom(SEED + round);
      const order = Int32Array.from({ length: gets }, () => Math.floor(random() * held.length));
      let length = 0;
      t0 = performance.now();
      for (let i = 0; i < gets; i++) length += store.getString(held[order[i]!]!)!.length;
      results[eviction].get.push(gets / ((performance.now() - t0) / 1000));
      if (length !== gets * VALUE.length)
        throw new Error('a get missed: the throughput run is broken');
      store.close();
    }
  }
  const s3Set = median(results.s3fifo.set);
  const s3Get = median(results.s3fifo.get);
  console.log(
    `\nThroughput at 10 % (median of ${rounds} interleaved rounds; rough: shared machine)\n`,
  );
  printTable(
    [
      'eviction',
      'set ops/s (1M new keys, evicting)',
      'get ops/s (hits)',
      'set vs s3fifo',
      'get vs s3fifo',
    ],
    THROUGHPUT_POLICIES.map((eviction) => {
      const set = median(results[eviction].set);
      const get = median(results[eviction].get);
      return [
        eviction,
        fmt(set),
        fmt(get),
        `${(set / s3Set).toFixed(2)}x`,
        `${(get / s3Get).toFixed(2)}x`,
      ];
    }),
  );
}

/**
 * The shape of bench/memory-store.ts, per policy: `entries` keys set into a store large enough
 * to hold them all (no eviction), then as many gets of keys drawn uniformly from them (hits),
 * rounds interleaved in one process; ratios against `s3fifo`.
 */
function throughputNoEviction(rounds: number, entries: number): void {
  const keys = Array.from({ length: entries }, (_, i) => `user:${100000 + i}`);
  const random = seededRandom(SEED);
  const order = Int32Array.from({ length: entries }, () => Math.floor(random() * entries));
  const results = Object.fromEntries(
    THROUGHPUT_POLICIES.map((eviction) => [eviction, { set: [] as number[], get: [] as number[] }]),
  ) as Record<(typeof THROUGHPUT_POLICIES)[number], { set: number[]; get: number[] }>;
  for (let round = 0; round < rounds; round++) {
    for (const eviction of THROUGHPUT_POLICIES) {
      const store = new MemoryStore({ maxBytes: 512 * 2 ** 20, budget: null, eviction });
      let t0 = performance.now();
      for (let i = 0; i < entries; i++) store.set(keys[i]!, VALUE);
      results[eviction].set.push(entries / ((performance.now() - t0) / 1000));
      let length = 0;
      t0 = performance.now();
      for (let i = 0; i < entries; i++) length += store.getString(keys[order[i]!]!)!.length;
      results[eviction].get.push(entries / ((performance.now() - t0) / 1000));
      if (length !== entries * VALUE.length) throw new Error('a get missed');
      store.close();
    }
  }
  const s3Set = median(results.s3fifo.set);
  const s3Get = median(results.s3fifo.get);
  console.log(
    `\n${fmt(entries)} entries in a 512 MiB store, no eviction (bench/memory-store.ts's shape; median of ${rounds} interleaved rounds; rough: shared machine)\n`,
  );
  printTable(
    ['eviction', 'set ops/s', 'get ops/s (random hits)', 'set vs s3fifo', 'get vs s3fifo'],
    THROUGHPUT_POLICIES.map((eviction) => {
      const set = median(results[eviction].set);
      const get = median(results[eviction].get);
      return [
        eviction,
        fmt(set),
        fmt(get),
        `${(set / s3Set).toFixed(2)}x`,
        `${(get / s3Get).toFixed(2)}x`,
      ];
    }),
  );
}

function main(): void {
  const requests = argNumber('--requests', 2_000_000);
  const only = argValue('--only');
  const sizes = (argValue('--sizes') ?? '1,2,5,10').split(',').map(Number);
  const rounds = argNumber('--rounds', 3);
  const t0 = performance.now();
  const traces: ((bytes: number) => Trace)[] = [];
  for (const [i, alpha] of [0.6, 0.8, 1.0, 1.2].entries()) {
    const trace = zipfTrace(KEYS, alpha, requests, SEED + i);
    traces.push(() => trace);
  }
  const scans = zipfWithScans(KEYS, 1.0, requests, 150_000, 50_000, SEED + 10);
  traces.push(() => scans);
  // The loop's length follows the cache: 1.1x the entries the cache can hold.
  traces.push((bytes) => {
    const loop = Math.ceil((bytes / ENTRY_BYTES) * 1.1);
    const trace = loopTrace(loop, requests);
    return { name: 'loop (1.1x cache)', requests: trace.requests };
  });
  let span = KEYS;
  for (const id of scans.requests) if (id >= span) span = id + 1;
  const keys = Array.from({ length: span }, (_, id) => keyOf(id));

  console.log(
    `${requests.toLocaleString('en-US')} requests per trace over ${KEYS.toLocaleString('en-US')} keys, ${ENTRY_BYTES} bytes per entry; cache sizes ${sizes.join(', ')} % of ${fmt(WORKING_SET_BYTES / 2 ** 20, 1)} MiB\n`,
  );
  const rows: string[][] = [];
  const panels: Panel[] = [];
  for (const makeTrace of only === 'throughput' ? [] : traces) {
    const ratios: Record<CacheName, number[]> = { fifo: [], s3fifo: [], 'lru-cache': [] };
    let title = '';
    for (const size of sizes) {
      const bytes = Math.floor((WORKING_SET_BYTES * size) / 100);
      const trace = makeTrace(bytes);
      title = trace.name;
      const results = {} as Record<CacheName, Run>;
      for (const name of CACHES) {
        results[name] = run(name, bytes, trace, keys);
        ratios[name].push(results[name].missRatio);
      }
      const lru = results['lru-cache'].missRatio;
      rows.push([
        trace.name,
        `${size} %`,
        results.fifo.missRatio.toFixed(4),
        results.s3fifo.missRatio.toFixed(4),
        lru.toFixed(4),
        `${(results.s3fifo.missRatio / lru).toFixed(3)}x`,
        `${(results.fifo.missRatio / lru).toFixed(3)}x`,
        `${fmt(results.s3fifo.entries)} / ${fmt(results['lru-cache'].entries)}`,
      ]);
      process.stderr.write(
        `  ${trace.name} at ${size} %: done (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`,
      );
    }
    panels.push({
      title,
      sizes,
      series: CACHES.map((name) => ({
        label: name,
        color: COLORS[name],
        missRatios: ratios[name],
      })),
    });
  }
  if (rows.length > 0) {
    console.log('Miss ratio (lower is better); ratios against lru-cache\n');
    printTable(
      [
        'trace',
        'cache',
        'fifo',
        's3fifo',
        'lru-cache',
        's3fifo / lru',
        'fifo / lru',
        'entries held: s3fifo / lru',
      ],
      rows,
    );
  }
  throughput(rounds, keys);
  throughputNoEviction(rounds, 500_000);
  if (panels.length > 0) {
    const svgPath = new URL('../docs/images/hit-ratio.svg', import.meta.url);
    mkdirSync(new URL('.', svgPath), { recursive: true });
    writeFileSync(
      svgPath,
      missRatioSvg(
        `Miss ratio vs cache size: MemoryStore fifo / s3fifo, lru-cache (${(requests / 1e6).toFixed(1)}M requests, 1M keys)`,
        panels,
      ),
    );
    console.log('\nplot: docs/images/hit-ratio.svg');
  }
  console.log(`\n${machineLine()} · total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

main();
