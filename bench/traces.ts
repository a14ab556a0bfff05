/**
 * Miss ratios on real traces (`../shared/traces`, see its README): the MemoryStore's eviction
 * policies through the public API beside lru-cache, W-TinyLFU (npm `transitory`), reference
 * per-entry S3-FIFO, ARC and SIEVE (bench/_trace-policies.ts, for the comparison only) and
 * Belady's optimum as the ceiling. Writes the curves to docs/images/traces.svg.
 *
 *   npm run bench -- traces [--cap 1000000] [--sizes 1,2,5,10] [--traces loop,sprite,...]
 *                           [--stores fifo,s3fifo] [--no-reference] [--seed 7]
 *
 * Every trace is replayed at entry capacities of 1, 2, 5 and 10 % of its distinct keys, except
 * the LIRS loop (1,011 keys in a cycle: every policy but Belady misses everything below a
 * quarter of them), at 250, 500, 750 and 900 entries (at 1,000 a store holding 1 % more than its share holds the whole loop), and the phase-change trace (sprite, then
 * the loop, then sprite again) at 100, 250, 500 and 1,000 entries. Traces longer than `--cap` requests are cut to their first `--cap` (p3, orm-busy,
 * orm-night and scarab at the default), and distinct keys are counted in what is replayed.
 * Each request is a read; a miss writes the key (a read-through cache). Keys are 10-character
 * strings, values 100 bytes, so every MemoryStore entry takes 136 bytes.
 *
 * Policies are compared at equal entries held: the entry-bounded caches hold `capacity`
 * entries once warm, and each MemoryStore's `maxBytes` is calibrated (a few replays of the
 * trace's start, each scaling `maxBytes` by capacity / mean entries held, then up to four
 * whole-trace replays rescaled the same way) so that the mean number of entries it holds after
 * the warm-up (from the request where the trace has shown `capacity` distinct keys) is within
 * 0.1 % of `capacity` (a few of the smallest stores, whose entries held move in steps of a
 * chunk, end up to 1 % off); the table shows the ratio reached.
 *
 * The store's hash is seeded per process (src/memory/hash.ts), and `adaptive`'s frequency sketch
 * counts by that hash, so its miss ratios move by about 1 % from one process to the next (fifo
 * and s3fifo by hundredths of a percent). `--seed N` gives every store the same fixed seed
 * (through the tests' hash hook), so two runs of one code replay identically and a change to a
 * policy can be compared point by point; run several seeds to see the spread.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { LRUCache } from 'lru-cache';
import { MemoryStore } from 'tiercache/memory';
import { BoundedCache } from 'transitory';
import { hashWithSeed } from '../src/memory/hash.ts';
import { HASH_FUNCTION } from '../src/memory/test-hooks.ts';
import { argNumber, argValue, fmt, machineLine, printTable } from './_harness.ts';
import { missRatioSvg, type Panel } from './_hit-ratio-plot.ts';
import { chainTraces, loadTrace, type ReplayTrace, TRACE_FILES } from './_trace-files.ts';
import { Arc, beladyMisses, type IdCache, RefS3Fifo, Sieve } from './_trace-policies.ts';

const TRACES_DIR = new URL('../../shared/traces', import.meta.url).pathname;
const VALUE = 'v'.repeat(100);
const KEY_CHARS = 10;
const ENTRY_BYTES = Math.ceil((24 + KEY_CHARS + VALUE.length) / 8) * 8;
const PHASE_SIZES = [100, 250, 500, 1000];
// The LIRS loop cycles over 1,011 keys: below 25 % of them every policy but Belady misses all.
const LOOP_SIZES = [250, 500, 750, 900];
const SAMPLE_EVERY = 8;
/** `--seed`: a fixed hash seed for every store (default: the process's random one). */
const SEED = argValue('--seed') === undefined ? undefined : argNumber('--seed', 0) | 0;
const FIXED_HASH = SEED === undefined ? undefined : (key: string) => hashWithSeed(key, SEED);
const CALIBRATION_REQUESTS = 250_000;
const CALIBRATION_ROUNDS = 10;
/** How far a store's mean entries held may be off the capacity (0.1 %). */
const HELD_TOLERANCE = 0.001;
/** Whole-trace replays at most per store and point (see `replayWhole`). */
const WHOLE_ROUNDS = 4;

const REFERENCES = ['lru-cache', 'w-tinylfu', 'ref-s3fifo', 'arc', 'sieve'] as const;
type Reference = (typeof REFERENCES)[number];
type StorePolicy = 'fifo' | 's3fifo' | 'adaptive';

const COLORS: Record<string, string> = {
  fifo: '#ff9896',
  s3fifo: '#1f77b4',
  adaptive: '#d62728',
  'lru-cache': '#7f7f7f',
  'w-tinylfu': '#2ca02c',
  'ref-s3fifo': '#17becf',
  arc: '#9467bd',
  sieve: '#bcbd22',
  belady: '#000000',
};

function keyOf(id: number): string {
  return `k${id.toString(36).padStart(KEY_CHARS - 1, '0')}`;
}

/** The index of the request where the trace has shown `capacity` distinct keys. */
function warmIndex(trace: ReplayTrace, capacity: number): number {
  const requests = trace.requests;
  for (let i = 0; i < requests.length; i++) if (requests[i]! >= capacity - 1) return i;
  return requests.length;
}

function referenceMisses(
  name: Reference,
  trace: ReplayTrace,
  keys: readonly string[],
  capacity: number,
): number {
  const requests = trace.requests;
  let misses = 0;
  if (name === 'lru-cache') {
    const lru = new LRUCache<string, string>({ max: capacity });
    for (let i = 0; i < requests.length; i++) {
      const key = keys[requests[i]!]!;
      if (lru.get(key) === undefined) {
        misses++;
        lru.set(key, VALUE);
      }
    }
    return misses;
  }
  if (name === 'w-tinylfu') {
    const cache = new BoundedCache<string, string>({ maxSize: capacity });
    for (let i = 0; i < requests.length; i++) {
      const key = keys[requests[i]!]!;
      if (cache.getIfPresent(key) === null) {
        misses++;
        cache.set(key, VALUE);
      }
    }
    return misses;
  }
  const cache: IdCache =
    name === 'ref-s3fifo'
      ? new RefS3Fifo(capacity, trace.distinct)
      : name === 'arc'
        ? new Arc(capacity, trace.distinct)
        : new Sieve(capacity, trace.distinct);
  for (let i = 0; i < requests.length; i++) if (!cache.access(requests[i]!)) misses++;
  return misses;
}

interface StoreRun {
  misses: number;
  meanHeld: number;
}

function replayStore(
  eviction: StorePolicy,
  maxBytes: number,
  trace: ReplayTrace,
  keys: readonly string[],
  warm: number,
  end: number,
): StoreRun {
  const store = new MemoryStore({
    name: `traces-${eviction}`,
    maxBytes: Math.floor(maxBytes),
    budget: null,
    eviction,
    ...(FIXED_HASH === undefined ? {} : { [HASH_FUNCTION]: FIXED_HASH }),
  });
  const requests = trace.requests;
  let misses = 0;
  let held = 0;
  let samples = 0;
  for (let i = 0; i < end; i++) {
    const key = keys[requests[i]!]!;
    if (store.getString(key) === undefined) {
      misses++;
      store.set(key, VALUE);
    }
    if (i >= warm && (i & (SAMPLE_EVERY - 1)) === 0) {
      held += store.size;
      samples++;
    }
  }
  store.close();
  return { misses, meanHeld: samples === 0 ? store.size : held / samples };
}

/**
 * `maxBytes` for a store holding `capacity` entries on average after the warm-up: start from
 * the entry size plus a guess at the overhead, then rescale by capacity / mean held, keeping
 * the closest of a few tries (the curve has steps where the index doubles).
 */
function calibrate(
  eviction: StorePolicy,
  trace: ReplayTrace,
  keys: readonly string[],
  capacity: number,
  warm: number,
  guess: number,
): number {
  const end = Math.min(trace.requests.length, warm + CALIBRATION_REQUESTS);
  let bytes = guess;
  let best = bytes;
  let bestError = Number.POSITIVE_INFINITY;
  let low = 0;
  let high = Number.POSITIVE_INFINITY;
  for (let round = 0; round < CALIBRATION_ROUNDS; round++) {
    const { meanHeld } = replayStore(eviction, bytes, trace, keys, warm, end);
    const error = meanHeld / capacity - 1;
    if (Math.abs(error) < Math.abs(bestError)) {
      best = bytes;
      bestError = error;
    }
    if (Math.abs(error) <= HELD_TOLERANCE) break;
    if (error < 0) low = Math.max(low, bytes);
    else high = Math.min(high, bytes);
    let next = bytes / (1 + error);
    // Stay strictly inside the bracket found so far (bisect when the rescale leaves it).
    if (next <= low || next >= high) next = Number.isFinite(high) ? (low + high) / 2 : bytes * 2;
    bytes = next;
  }
  return best;
}

/**
 * Replays the whole trace at `bytes`, then corrects for what the calibration (on the trace's
 * start) could not see: while the mean entries held over the whole trace is off the capacity by
 * more than {@link HELD_TOLERANCE}, `maxBytes` is rescaled by capacity / mean held and the
 * trace replayed again (at most {@link WHOLE_ROUNDS} times), keeping the run closest to the
 * capacity. Without it a store held up to 0.8 % fewer entries than the caches it is compared
 * with, a handicap of the same order as the differences the table is read for.
 */
function replayWhole(
  eviction: StorePolicy,
  bytes: number,
  trace: ReplayTrace,
  keys: readonly string[],
  capacity: number,
  warm: number,
): StoreRun {
  const n = trace.requests.length;
  let best = replayStore(eviction, bytes, trace, keys, warm, n);
  let current = best;
  for (let round = 1; round < WHOLE_ROUNDS; round++) {
    const error = current.meanHeld / capacity - 1;
    if (Math.abs(error) <= HELD_TOLERANCE) break;
    bytes /= 1 + error;
    current = replayStore(eviction, bytes, trace, keys, warm, n);
    if (Math.abs(current.meanHeld / capacity - 1) < Math.abs(best.meanHeld / capacity - 1)) {
      best = current;
    }
  }
  return best;
}

interface Point {
  trace: string;
  capacity: number;
  percent: number;
  miss: Record<string, number>;
  held: Record<string, number>;
}

function geomean(values: readonly number[]): number {
  return Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
}

function roundPercent(p: number): number {
  return p >= 10 ? Math.round(p) : Number(p.toPrecision(2));
}

function main(): void {
  const t0 = performance.now();
  const cap = Number(argValue('--cap') ?? 1_000_000);
  const percents = (argValue('--sizes') ?? '1,2,5,10').split(',').map(Number);
  const stores = (argValue('--stores') ?? 'fifo,s3fifo').split(',') as StorePolicy[];
  const names = (argValue('--traces') ?? [...TRACE_FILES.map((t) => t.name), 'phase'].join(','))
    .split(',')
    .filter((n) => n !== '');
  const policies = [...stores, ...REFERENCES, 'belady'];
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;

  const points: Point[] = [];
  const panels: Panel[] = [];
  const described: string[] = [];
  const guesses = new Map<string, number>();
  for (const name of names) {
    let trace: ReplayTrace;
    let capacities: number[];
    if (name === 'phase') {
      const sprite = loadTrace(TRACES_DIR, 'sprite', cap);
      const loop = loadTrace(TRACES_DIR, 'loop', cap);
      trace = chainTraces('phase (sprite, loop, sprite)', sprite, loop);
      capacities = PHASE_SIZES;
    } else if (name === 'loop') {
      trace = loadTrace(TRACES_DIR, name, cap);
      capacities = LOOP_SIZES;
    } else {
      trace = loadTrace(TRACES_DIR, name, cap);
      capacities = percents.map((p) => Math.max(4, Math.round((trace.distinct * p) / 100)));
    }
    described.push(
      `${trace.name}: ${fmt(trace.requests.length)} requests${trace.requests.length < trace.fileRequests ? ` (first of ${fmt(trace.fileRequests)})` : ''}, ${fmt(trace.distinct)} distinct keys`,
    );
    const keys = Array.from({ length: trace.distinct }, (_, id) => keyOf(id));
    const series: Record<string, number[]> = {};
    for (const policy of policies) series[policy] = [];
    const sizes: number[] = [];
    for (const capacity of capacities) {
      const warm = warmIndex(trace, capacity);
      const n = trace.requests.length;
      const point: Point = {
        trace: trace.name,
        capacity,
        percent: (capacity / trace.distinct) * 100,
        miss: {},
        held: {},
      };
      for (const eviction of stores) {
        // The bytes per entry the last calibration found are the next point's first guess.
        const perEntry = guesses.get(eviction) ?? ENTRY_BYTES * 1.4;
        const bytes = calibrate(eviction, trace, keys, capacity, warm, capacity * perEntry + 4096);
        guesses.set(eviction, (bytes - 4096) / capacity);
        const run = replayWhole(eviction, bytes, trace, keys, capacity, warm);
        point.miss[eviction] = run.misses / n;
        point.held[eviction] = run.meanHeld / capacity;
      }
      for (const reference of REFERENCES) {
        point.miss[reference] = referenceMisses(reference, trace, keys, capacity) / n;
      }
      point.miss.belady = beladyMisses(trace.requests, trace.distinct, capacity) / n;
      for (const policy of policies) series[policy]!.push(point.miss[policy]!);
      sizes.push(roundPercent(point.percent));
      points.push(point);
      process.stderr.write(`  ${trace.name} at ${fmt(capacity)} entries: done (${elapsed()})\n`);
    }
    panels.push({
      title: `${trace.name} (${fmt(trace.distinct)} keys)`,
      sizes,
      labels: capacities.map((c) => fmt(c)),
      series: policies.map((policy) => ({
        label: (stores as readonly string[]).includes(policy) ? `tiercache ${policy}` : policy,
        color: COLORS[policy] ?? '#e377c2',
        missRatios: series[policy]!,
      })),
    });
  }

  console.log(`Traces (${machineLine()}${SEED === undefined ? '' : `, hash seed ${SEED}`}):\n`);
  for (const line of described) console.log(`- ${line}`);
  console.log(
    '\nMiss ratio (lower is better) at equal entries held; "held" is the MemoryStore\'s mean entries held after warm-up / capacity\n',
  );
  const bestOther = (point: Point) => Math.min(...REFERENCES.map((r) => point.miss[r]!));
  printTable(
    [
      'trace',
      'entries',
      ...stores.map((s) => `tiercache ${s}`),
      ...REFERENCES,
      'belady',
      ...stores.map((s) => `${s} / lru`),
      ...stores.map((s) => `${s} / best other`),
      'held',
    ],
    points.map((point) => [
      point.trace,
      `${fmt(point.capacity)} (${roundPercent(point.percent)} %)`,
      ...stores.map((s) => point.miss[s]!.toFixed(4)),
      ...REFERENCES.map((r) => point.miss[r]!.toFixed(4)),
      point.miss.belady!.toFixed(4),
      ...stores.map((s) => `${(point.miss[s]! / point.miss['lru-cache']!).toFixed(3)}x`),
      ...stores.map((s) => `${(point.miss[s]! / bestOther(point)).toFixed(3)}x`),
      stores.map((s) => point.held[s]!.toFixed(3)).join(' / '),
    ]),
  );

  console.log('\nSummary over every point (geomean of per-point ratios of miss ratios)\n');
  const rows: string[][] = [];
  for (const policy of [...stores, ...REFERENCES]) {
    const vsLru = points.map((p) => p.miss[policy]! / p.miss['lru-cache']!);
    const others = (p: Point) =>
      Math.min(...REFERENCES.filter((r) => r !== policy).map((r) => p.miss[r]!));
    const vsBest = points.map((p) => p.miss[policy]! / others(p));
    const worse = points.filter((p) => p.miss[policy]! > p.miss['lru-cache']! + 1e-12);
    const worst = points.reduce((a, b) =>
      vsBest[points.indexOf(b)]! > vsBest[points.indexOf(a)]! ? b : a,
    );
    const phase = points.filter(
      (p) => p.trace.startsWith('phase') && p.capacity >= 500 && p.capacity <= 1000,
    );
    const phaseGap = phase.map((p) => (p.miss[policy]! - p.miss['w-tinylfu']!) * 100);
    rows.push([
      stores.includes(policy as StorePolicy) ? `tiercache ${policy}` : policy,
      `${geomean(vsLru).toFixed(3)}x`,
      `${worse.length}${
        worse.length > 0
          ? ` (${worse
              .slice(0, 4)
              .map((p) => `${p.trace.split(' ')[0]}@${fmt(p.capacity)}`)
              .join(', ')}${worse.length > 4 ? ', ...' : ''})`
          : ''
      }`,
      `${geomean(vsBest).toFixed(3)}x`,
      `${(Math.max(...vsBest)).toFixed(2)}x (${worst.trace.split(' ')[0]}@${fmt(worst.capacity)})`,
      phaseGap.length > 0
        ? phaseGap.map((g) => `${g >= 0 ? '+' : ''}${g.toFixed(1)}`).join(' / ')
        : '-',
    ]);
  }
  printTable(
    [
      'policy',
      'vs lru-cache',
      'points worse than lru-cache',
      'vs best other',
      'worst vs best other',
      'phase 500 / 1000 vs w-tinylfu (points)',
    ],
    rows,
  );

  if (argValue('--reference') !== 'no' && names.includes('scarab')) referenceCheck();

  const svgPath = new URL('../docs/images/traces.svg', import.meta.url);
  mkdirSync(new URL('.', svgPath), { recursive: true });
  writeFileSync(
    svgPath,
    missRatioSvg(
      `Miss ratio on real traces vs entries held (x: entries, log); tiercache = MemoryStore at equal mean entries held`,
      panels,
    ),
  );
  console.log(`\nplot: docs/images/traces.svg · total ${elapsed()}`);
}

/** scarab at 100,000 entries, uncut, against the figures the README quotes (caffeine #106). */
function referenceCheck(): void {
  const trace = loadTrace(TRACES_DIR, 'scarab', Number.POSITIVE_INFINITY);
  const keys = Array.from({ length: trace.distinct }, (_, id) => keyOf(id));
  const n = trace.requests.length;
  const hit = (misses: number) => `${((1 - misses / n) * 100).toFixed(2)} %`;
  console.log('\nReplay check: scarab (uncut) at 100,000 entries, hit ratio\n');
  printTable(
    ['policy', 'this replay', 'README (caffeine #106)'],
    [
      ['LRU (lru-cache)', hit(referenceMisses('lru-cache', trace, keys, 100_000)), '75.91 %'],
      ['ARC', hit(referenceMisses('arc', trace, keys, 100_000)), '76.09 %'],
      ['Belady', hit(beladyMisses(trace.requests, trace.distinct, 100_000)), '79.25 %'],
    ],
  );
}

main();
