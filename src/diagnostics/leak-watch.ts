import { EventEmitter } from 'node:events';
import { InvalidOptionError, WarningCodes } from '../errors.ts';
import { integerOption } from '../options-check.ts';
import { type DiagnosticsUse, useDiagnostics } from './enable.ts';
import { heapSamplerState, takeHeapProfile } from './heap-profiler.ts';
import { profileLock } from './profile-lock.ts';
import {
  diffSummaries,
  type FunctionTotal,
  type ProfileSummary,
  summarizeProfile,
} from './profile-summary.ts';
import { liveStores } from './sources.ts';
import { theilSenSlope } from './theil-sen.ts';

/** Most samples in a window: the trend fits run on the main thread at every tick. */
export const MAX_WINDOW_SIZE = 500;
/** Longest `intervalMs`: Node's timers overflow past 2^31-1 ms and fire after 1 ms instead. */
export const MAX_INTERVAL_MS = 2 ** 31 - 1;
/**
 * Most points one Theil–Sen fit sees. The fit is O(n²) in time and memory, so a longer window
 * is thinned to evenly spaced samples: 200 points keep a judged tick to a few milliseconds.
 */
const MAX_FIT_POINTS = 200;

/** The figures LeakWatch follows, bytes, taken at `time` (ms). */
export interface MemorySample {
  time: number;
  /** `process.memoryUsage().heapUsed`: the JS heap. */
  heapUsed: number;
  /** `process.memoryUsage().external`: Buffers and typed arrays, MemoryStore arenas included. */
  external: number;
  /** Sum of `reservedBytes` over every live MemoryStore. */
  stores: number;
}

/** The metrics LeakWatch can judge, as named in its reports. */
export type WatchedMetric = 'heapUsed' | 'external' | 'stores';

const LABELS: Record<WatchedMetric, string> = {
  heapUsed: 'JS heap',
  external: 'external',
  stores: 'stores',
};

/** One metric that grew over the window. */
export interface MetricGrowth {
  metric: WatchedMetric;
  /** Growth over the window along the fitted trend, bytes. */
  bytes: number;
  /** The fitted trend, bytes per minute. */
  bytesPerMinute: number;
  /** First and last sample of the window, bytes. */
  from: number;
  to: number;
}

/** What a `growth` event carries. */
export interface GrowthReport {
  /** Length of the window the trend was fitted over, ms. */
  windowMs: number;
  grew: MetricGrowth[];
  /** When the JS heap grew and the heap sampler runs: the functions whose in-use bytes grew most. */
  topFunctions: FunctionTotal[];
  /** The text of the process warning. */
  message: string;
}

/** Options of {@link LeakWatch}; every size is in bytes, every duration in ms. */
export interface LeakWatchOptions {
  /** Time between samples, at most 2^31-1. @default 10000 */
  intervalMs?: number;
  /** Samples in the fitted window (5 to 500); window length = intervalMs × windowSize. @default 30 */
  windowSize?: number;
  /**
   * Growth over one window that counts as a leak, per metric: the Theil–Sen trend must rise by
   * this much over the window (and by a quarter of it in each half), and the window's low
   * points (the post-GC floor) by half of it, so a heap that saw-tooths with GC, or steps up
   * once, never alarms. @default 33554432 (32 MiB)
   */
  thresholdBytes?: number;
  /** Which metrics to judge. @default ['heapUsed', 'external', 'stores'] */
  metrics?: readonly WatchedMetric[];
  /**
   * Diff in-use heap profiles when the JS heap grew, to name the growing functions (starts the
   * heap sampler if it is off). @default true
   */
  heapProfiles?: boolean;
  /** How many growing functions a report names. @default 5 */
  topFunctions?: number;
  /** Also emit a `process.emitWarning` with code `TIERCACHE_MEMORY_GROWTH`. @default true */
  emitWarning?: boolean;
  /** Source of samples, for tests. @default process.memoryUsage() plus the live stores */
  sample?: () => MemorySample;
}

/**
 * Watches memory for sustained growth: samples on an unref()ed timer, fits a Theil–Sen trend
 * over a sliding window, and when a metric keeps rising past the threshold emits `growth`
 * (a {@link GrowthReport}) and a `TIERCACHE_MEMORY_GROWTH` process warning. After an alarm the
 * window starts afresh, so a leak that continues warns once per window.
 */
export class LeakWatch extends EventEmitter<{ growth: [GrowthReport]; error: [unknown] }> {
  readonly #intervalMs: number;
  readonly #windowSize: number;
  readonly #threshold: number;
  readonly #metrics: readonly WatchedMetric[];
  readonly #heapProfiles: boolean;
  readonly #topFunctions: number;
  readonly #emitWarning: boolean;
  readonly #sample: () => MemorySample;
  #samples: MemorySample[] = [];
  #timer: NodeJS.Timeout | undefined;
  #diagnostics: DiagnosticsUse | undefined;
  #ticking = false;
  #baseline: ProfileSummary | undefined;
  #ticksSinceBaseline = 0;

  constructor(options: LeakWatchOptions = {}) {
    super();
    this.#intervalMs = positiveInteger('intervalMs', options.intervalMs, 10_000);
    if (this.#intervalMs > MAX_INTERVAL_MS)
      throw new InvalidOptionError(
        'intervalMs',
        `must be at most ${MAX_INTERVAL_MS} (2^31-1), got ${this.#intervalMs}`,
      );
    this.#windowSize = positiveInteger('windowSize', options.windowSize, 30);
    if (this.#windowSize < 5 || this.#windowSize > MAX_WINDOW_SIZE)
      throw new InvalidOptionError(
        'windowSize',
        `must be from 5 to ${MAX_WINDOW_SIZE}, got ${this.#windowSize}`,
      );
    this.#threshold = positiveInteger('thresholdBytes', options.thresholdBytes, 32 * 1024 * 1024);
    this.#topFunctions = positiveInteger('topFunctions', options.topFunctions, 5);
    this.#metrics = options.metrics ?? ['heapUsed', 'external', 'stores'];
    for (const m of this.#metrics) {
      if (!(m in LABELS))
        throw new InvalidOptionError(
          'metrics',
          `unknown metric "${m}"; use heapUsed, external or stores`,
        );
    }
    this.#heapProfiles = options.heapProfiles ?? true;
    this.#emitWarning = options.emitWarning ?? true;
    this.#sample = options.sample ?? sampleProcess;
  }

  /**
   * Starts sampling every `intervalMs` (idempotent). The timer never keeps the process alive,
   * but it does keep this watch alive: it runs until `stop()`, referenced or not.
   */
  start(): this {
    if (this.#timer !== undefined) return this;
    if (this.#heapProfiles) {
      this.#diagnostics = useDiagnostics({ monitors: false });
      this.#diagnostics.ready.catch((err: unknown) => this.#fail(err));
    }
    this.#timer = setInterval(() => {
      this.tick().catch((err: unknown) => this.#fail(err));
    }, this.#intervalMs);
    this.#timer.unref();
    return this;
  }

  /**
   * Stops sampling and forgets the window; the heap sampler stops too unless something else
   * (a debug server, another watch, `enableDiagnostics()`) still uses it.
   */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#diagnostics?.release().catch((err: unknown) => this.#fail(err));
    this.#diagnostics = undefined;
    this.#samples = [];
    this.#baseline = undefined;
  }

  /**
   * Takes one sample and judges the window; resolves to the report when it alarmed. The timer
   * calls this; tests and manual checks may call it directly.
   */
  async tick(): Promise<GrowthReport | undefined> {
    if (this.#ticking) return undefined; // a slow heap profile must not let ticks pile up
    this.#ticking = true;
    try {
      return await this.#judge();
    } finally {
      this.#ticking = false;
    }
  }

  async #judge(): Promise<GrowthReport | undefined> {
    this.#samples.push(this.#sample());
    if (this.#samples.length > this.#windowSize) this.#samples.shift();
    if (this.#baseline === undefined || this.#ticksSinceBaseline >= this.#windowSize) {
      await this.#refreshBaseline();
    }
    this.#ticksSinceBaseline += 1;
    if (this.#samples.length < this.#windowSize) return undefined;

    const grew = this.#metrics.flatMap((metric) =>
      growthOf(this.#samples, metric, this.#threshold),
    );
    if (grew.length === 0) return undefined;

    const windowMs = this.#samples[this.#samples.length - 1]!.time - this.#samples[0]!.time;
    const topFunctions = grew.some((g) => g.metric === 'heapUsed')
      ? await this.#growingFunctions()
      : [];
    const message = describe(grew, topFunctions, windowMs);
    const report: GrowthReport = { windowMs, grew, topFunctions, message };
    this.#samples = [];
    this.emit('growth', report);
    if (this.#emitWarning)
      process.emitWarning(message, {
        code: WarningCodes.MEMORY_GROWTH,
        detail: JSON.stringify(grew),
      });
    return report;
  }

  async #refreshBaseline(): Promise<void> {
    this.#ticksSinceBaseline = 0;
    this.#baseline = await this.#heapSummary();
  }

  async #growingFunctions(): Promise<FunctionTotal[]> {
    const base = this.#baseline;
    const current = await this.#heapSummary();
    this.#baseline = current;
    this.#ticksSinceBaseline = 0;
    if (base === undefined || current === undefined) return [];
    return diffSummaries(base, current)
      .functions.filter((f) => f.flat > 0)
      .slice(0, this.#topFunctions);
  }

  /** The in-use heap summary, or undefined when profiles are off or another profile runs. */
  async #heapSummary(): Promise<ProfileSummary | undefined> {
    if (
      !this.#heapProfiles ||
      heapSamplerState().mode !== 'inuse' ||
      profileLock.holder !== undefined
    ) {
      return undefined;
    }
    try {
      return summarizeProfile(await takeHeapProfile());
    } catch {
      return undefined; // lost a race for the profile lock: this window goes without names
    }
  }

  #fail(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

/** The default sample: process memory plus the bytes every live MemoryStore holds. */
function sampleProcess(): MemorySample {
  const m = process.memoryUsage();
  let stores = 0;
  for (const s of liveStores()) stores += s.reservedBytes;
  return { time: Date.now(), heapUsed: m.heapUsed, external: m.external, stores };
}

/**
 * Judges one metric. Sustained growth means three things: the robust (Theil–Sen) trend rose by
 * `threshold` over the window; it rose in each half of the window too (by a quarter of it), so
 * one step up, such as a cache warming, is not a leak; and the floor (the lowest sample of the
 * last quarter against the first) rose by half of it, so a GC saw-tooth, whose rising edges are
 * steep but whose floor is flat, never qualifies.
 */
function growthOf(
  samples: readonly MemorySample[],
  metric: WatchedMetric,
  threshold: number,
): MetricGrowth[] {
  const times = samples.map((s) => s.time);
  const values = samples.map((s) => s[metric]);
  const trendOver = (from: number, to: number) => {
    const span = times[to - 1]! - times[from]!;
    if (span <= 0) return 0;
    const step = Math.ceil((to - from) / MAX_FIT_POINTS);
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = from; i < to; i += step) {
      xs.push(times[i]!);
      ys.push(values[i]!);
    }
    return theilSenSlope(xs, ys) * span;
  };
  const n = values.length;
  const half = n >> 1;
  const trend = trendOver(0, n);
  if (trend < threshold) return [];
  if (trendOver(0, half) < threshold / 4 || trendOver(half, n) < threshold / 4) return [];
  const quarter = Math.max(1, n >> 2);
  const floorGrowth = Math.min(...values.slice(-quarter)) - Math.min(...values.slice(0, quarter));
  if (floorGrowth < threshold / 2) return [];
  const span = times[n - 1]! - times[0]!;
  return [
    {
      metric,
      bytes: trend,
      bytesPerMinute: (trend / span) * 60_000,
      from: values[0]!,
      to: values[n - 1]!,
    },
  ];
}

function describe(
  grew: readonly MetricGrowth[],
  top: readonly FunctionTotal[],
  windowMs: number,
): string {
  const parts = grew.map(
    (g) => `${LABELS[g.metric]} +${mib(g.bytes)} (${mib(g.bytesPerMinute)}/min)`,
  );
  let message = `Memory kept growing over the last ${(windowMs / 1000).toFixed(1)} s: ${parts.join(', ')}`;
  if (top.length > 0) {
    const names = top.map((f) => `${f.name} (${f.file}:${f.line}) +${mib(f.flat)}`);
    message += `; top growing functions: ${names.join(', ')}`;
  }
  return message;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function positiveInteger(option: string, value: unknown, fallback: number): number {
  return integerOption(option, value, fallback, 1);
}
