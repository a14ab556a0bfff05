/**
 * Shared helpers for the scenarios in bench/: run an alternative in a child process of its
 * own (so one alternative's heap never colours another's figures), interleave repeated runs,
 * take medians, and print a side-by-side table with ratios against a baseline.
 *
 * Figures on a 2-core machine vary up to 2x between runs: every scenario interleaves its
 * alternatives (A B C A B C ...) and reports the median of each.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** Median of a non-empty list of numbers. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Percentile (0..100) of a non-empty list of numbers, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * Runs this same script in a child process with `--worker <name>` and the given extra
 * arguments, and returns the JSON object the worker printed as its last line.
 */
export function runWorker<T>(script: string, name: string, args: readonly string[] = []): T {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--conditions=source', '--import', 'tsx', script, '--worker', name, ...args],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

/** The value after `--flag` on the command line, or undefined. */
export function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A number given as `--flag N` on the command line, or the fallback. */
export function argNumber(flag: string, fallback: number): number {
  const raw = argValue(flag);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new TypeError(`${flag} expects a number, got "${raw}"`);
  return n;
}

/** One line describing the machine and the date, printed under every table. */
export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${new Date().toISOString().slice(0, 10)} · node ${process.version} · ${os.cpus().length} × ${cpu} · ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`;
}

/** Formats a number with thousands separators and the given decimals. */
export function fmt(n: number, decimals = 0): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
}

/** Prints a Markdown table (so figures paste straight into docs/benchmarks.md). */
export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(headers));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const row of rows) console.log(line(row));
}

/** Forces full garbage collections until the heap stops shrinking (needs --expose-gc). */
export function settleHeap(): void {
  const gc = globalThis.gc;
  if (!gc) throw new Error('run with --expose-gc');
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    gc();
    const used = process.memoryUsage().heapUsed;
    if (used >= last - 1024) break;
    last = used;
  }
}

/** Milliseconds one forced full GC takes right now (median of a few). */
export function fullGcMs(repeats = 5): number {
  const gc = globalThis.gc;
  if (!gc) throw new Error('run with --expose-gc');
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    gc();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Counts GC pauses from now until `stop()` (PerformanceObserver 'gc' entries). */
export function recordGcPauses(): { stop(): Promise<{ count: number; totalMs: number }> } {
  let count = 0;
  let totalMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      count++;
      totalMs += entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    async stop() {
      // GC entries are delivered asynchronously: give the observer a turn before reading.
      await new Promise((resolve) => setTimeout(resolve, 50));
      observer.disconnect();
      return { count, totalMs };
    },
  };
}

/** What {@link capped} resolves to when the promise did not settle within its cap. */
export const HUNG = Symbol('hung');

/**
 * `promise`, or {@link HUNG} once `capMs` have passed without it settling, so a bench against a
 * failing server never hangs (the timer is cleared either way).
 */
export async function capped<T>(promise: Promise<T>, capMs: number): Promise<T | typeof HUNG> {
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<typeof HUNG>((resolve) => {
    timer = setTimeout(() => resolve(HUNG), capMs);
  });
  try {
    return await Promise.race([promise, cap]);
  } finally {
    clearTimeout(timer);
  }
}
