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
 * strings, values 100 bytes, so every MemoryStore entry takes 136 bytes. The replay, the
 * calibration below and the reference caches are bench/_trace-replay.ts, which
 * bench/trace-point.ts shares to show one point block by block.
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
import type { EvictionPolicy } from 'tiercache/memory';
import { argNumber, argValue, fmt, machineLine, printTable } from './_harness.ts';
import { missRatioSvg, type Panel } from './_hit-ratio-plot.ts';
import { loadNamedTrace, loadTrace, PHASE_TRACE, TRACE_FILES, TRACES_DIR } from './_trace-files.ts';
import { beladyMisses } from './_trace-policies.ts';
import {
  keysOf,
  perEntryGuess,
  REFERENCES,
  type ReplaySetup,
  replayAtCapacity,
  replayReference,
} from './_trace-replay.ts';

const PHASE_SIZES = [100, 250, 500, 1000];
// The LIRS loop cycles over 1,011 keys: below 25 % of them every policy but Belady misses all.
const LOOP_SIZES = [250, 500, 750, 900];
/** `--seed`: a fixed hash seed for every store (default: the process's random one). */
const SEED = argValue('--seed') === undefined ? undefined : argNumber('--seed', 0) | 0;

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
  const stores = (argValue('--stores') ?? 'fifo,s3fifo').split(',') as EvictionPolicy[];
  const names = (argValue('--traces') ?? [...TRACE_FILES.map((t) => t.name), PHASE_TRACE].join(','))
    .split(',')
    .filter((n) => n !== '');
  const policies = [...stores, ...REFERENCES, 'belady'];
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;

  const points: Point[] = [];
  const panels: Panel[] = [];
  const described: string[] = [];
  const guesses = new Map<string, number>();
  for (const name of names) {
    const trace = loadNamedTrace(name, cap);
    const capacities =
      name === PHASE_TRACE
        ? PHASE_SIZES
        : name === 'loop'
          ? LOOP_SIZES
          : percents.map((p) => Math.max(4, Math.round((trace.distinct * p) / 100)));
    described.push(
      `${trace.name}: ${fmt(trace.requests.length)} requests${trace.requests.length < trace.fileRequests ? ` (first of ${fmt(trace.fileRequests)})` : ''}, ${fmt(trace.distinct)} distinct keys`,
    );
    const setup: ReplaySetup = { trace, keys: keysOf(trace), seed: SEED };
    const series: Record<string, number[]> = {};
    for (const policy of policies) series[policy] = [];
    const sizes: number[] = [];
    for (const capacity of capacities) {
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
        const run = replayAtCapacity(setup, eviction, capacity, guesses.get(eviction));
        guesses.set(eviction, perEntryGuess(run.calibratedBytes, capacity));
        point.miss[eviction] = run.misses / n;
        point.held[eviction] = run.meanHeld / capacity;
      }
      for (const reference of REFERENCES) {
        point.miss[reference] = replayReference(setup, reference, capacity).misses / n;
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
      stores.includes(policy as EvictionPolicy) ? `tiercache ${policy}` : policy,
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
  const setup: ReplaySetup = { trace, keys: keysOf(trace) };
  const n = trace.requests.length;
  const hit = (misses: number) => `${((1 - misses / n) * 100).toFixed(2)} %`;
  console.log('\nReplay check: scarab (uncut) at 100,000 entries, hit ratio\n');
  printTable(
    ['policy', 'this replay', 'README (caffeine #106)'],
    [
      ['LRU (lru-cache)', hit(replayReference(setup, 'lru-cache', 100_000).misses), '75.91 %'],
      ['ARC', hit(replayReference(setup, 'arc', 100_000).misses), '76.09 %'],
      ['Belady', hit(beladyMisses(trace.requests, trace.distinct, 100_000)), '79.25 %'],
    ],
  );
}

main();
