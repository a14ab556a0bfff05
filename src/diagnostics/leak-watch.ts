import { EventEmitter } from 'node:events';
import { InvalidOptionError, WarningCodes } from '../errors.ts';
import { integerOption } from '../options-check.ts';
import { type DiagnosticsUse, useDiagnostics } from './enable.ts';
import { heapSamplerState, takeHeapProfile } from './heap-profiler.ts';
import { recordAlarm, watchStarted, watchStopped } from './leak-watch-state.ts';
import { profileLock } from './profile-lock.ts';
import {
  diffSummaries,
  type FunctionTotal,
  type ProfileSummary,
  summarizeProfile,
} from './profile-summary.ts';
import { collectRssAccount } from './rss-account.ts';
import { storeSites } from './sources.ts';
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
  /** The resident set size. */
  rss?: number;
  /**
   * Memory the allocator holds free without returning it: measured where the allocator reports
   * it, else the part of RSS the memstats account cannot name (derived).
   */
  allocatorRetained?: number;
  /** The live stores by creation site: what lets an alarm name the site whose stores grew. */
  sites?: readonly SiteSample[];
}

/** One creation site's live stores in a sample. */
export interface SiteSample {
  site: string;
  stores: number;
  reservedBytes: number;
}

/** The metrics LeakWatch can judge, as named in its reports. */
export type WatchedMetric = 'heapUsed' | 'external' | 'stores' | 'rss' | 'allocatorRetained';

const LABELS: Record<WatchedMetric, string> = {
  heapUsed: 'JS heap',
  external: 'external',
  stores: 'stores',
  rss: 'RSS',
  allocatorRetained: 'allocator-retained',
};

/** Sites followed per sample at most (the largest by reserved bytes), so a window stays small. */
const MAX_SITES_PER_SAMPLE = 32;

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

/** A creation site whose stores grew over the window. */
export interface SiteGrowth {
  /** The creation site, e.g. `createOwnCache (service/cache/profile-cache.ts:92:17)`. */
  site: string;
  /** Growth of the site's reserved bytes from the window's low to now. */
  bytes: number;
  /** Growth of the site's live store count from the window's low to now. */
  stores: number;
  /** The site's live stores and reserved bytes now. */
  storesNow: number;
  reservedBytesNow: number;
  /** For a step: time from the site's last sample at its low to now, ms. */
  sinceMs?: number;
}

/** What a `growth` event carries. */
export interface GrowthReport {
  /** Length of the window the trend was fitted over, ms. */
  windowMs: number;
  /**
   * `trend`: a metric kept rising over the whole window. `site-step`: one creation site's stores
   * stepped up (more live stores and more bytes that stayed), the story's cache per room.
   */
  kind: 'trend' | 'site-step';
  grew: MetricGrowth[];
  /** The creation sites whose stores grew, most bytes first. */
  sites: SiteGrowth[];
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
  /** Which metrics to judge. @default ['heapUsed', 'external', 'stores', 'rss', 'allocatorRetained'] */
  metrics?: readonly WatchedMetric[];
  /**
   * Live stores one creation site must add, with `thresholdBytes` more reserved bytes held for
   * `stepHoldSamples` samples, for a step alarm (judged every tick, no full window needed).
   * `Infinity` turns step alarms off. @default 16
   */
  siteStepStores?: number;
  /** Samples a site's step must hold before it alarms. @default 3 */
  stepHoldSamples?: number;
  /**
   * Diff in-use heap profiles when the JS heap grew, to name the growing functions (starts the
   * heap sampler if it is off). @default true
   */
  heapProfiles?: boolean;
  /** How many growing functions a report names. @default 5 */
  topFunctions?: number;
  /** Also emit a `process.emitWarning` with code `TIERCACHE_MEMORY_GROWTH`. @default true */
  emitWarning?: boolean;
  /** Source of samples, for tests. @default process memory, the RSS account and the live stores by site */
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
  readonly #siteStepStores: number;
  readonly #stepHold: number;
  #samples: MemorySample[] = [];
  /** Per site, its samples since the window started (or since it last alarmed). */
  #siteHistory = new Map<string, { time: number; stores: number; bytes: number }[]>();
  /**
   * Per site that stepped, its highest reserved bytes since: a later step alarms only past that
   * level plus the threshold, so rooms churning at a plateau (stores closed and recreated) and
   * the rest of the same rise stay quiet.
   */
  #stepHighs = new Map<string, number>();
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
    this.#metrics = options.metrics ?? [
      'heapUsed',
      'external',
      'stores',
      'rss',
      'allocatorRetained',
    ];
    for (const m of this.#metrics) {
      if (!Object.hasOwn(LABELS, m))
        throw new InvalidOptionError(
          'metrics',
          `unknown metric "${m}"; use heapUsed, external, stores, rss or allocatorRetained`,
        );
    }
    const stepStores = options.siteStepStores ?? 16;
    if (typeof stepStores !== 'number' || !(stepStores >= 1))
      throw new InvalidOptionError(
        'siteStepStores',
        `expected a number >= 1 (Infinity turns step alarms off), got ${String(stepStores)}`,
      );
    this.#siteStepStores = stepStores;
    this.#stepHold = positiveInteger('stepHoldSamples', options.stepHoldSamples, 3);
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
    watchStarted();
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
    if (this.#timer !== undefined) watchStopped();
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#diagnostics?.release().catch((err: unknown) => this.#fail(err));
    this.#diagnostics = undefined;
    this.#samples = [];
    this.#siteHistory.clear();
    this.#stepHighs.clear();
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
    const sample = this.#sample();
    this.#samples.push(sample);
    if (this.#samples.length > this.#windowSize) this.#samples.shift();
    this.#followSites(sample);
    if (this.#baseline === undefined || this.#ticksSinceBaseline >= this.#windowSize) {
      await this.#refreshBaseline();
    }
    this.#ticksSinceBaseline += 1;

    const stepped = this.#steppedSites();
    if (stepped.length > 0) {
      const grew = stepped.reduce((bytes, s) => bytes + s.bytes, 0);
      // The step's own span, not the trend window's: how fast the stores came.
      const windowMs = Math.max(...stepped.map((s) => s.sinceMs ?? 0));
      return this.#alarm(
        'site-step',
        windowMs,
        [
          {
            metric: 'stores',
            bytes: grew,
            bytesPerMinute: windowMs > 0 ? (grew / windowMs) * 60_000 : 0,
            from: sample.stores - grew,
            to: sample.stores,
          },
        ],
        stepped,
      );
    }
    if (this.#samples.length < this.#windowSize) return undefined;

    const grew = this.#metrics.flatMap((metric) =>
      growthOf(this.#samples, metric, this.#threshold),
    );
    if (grew.length === 0) return undefined;
    const windowMs = sample.time - this.#samples[0]!.time;
    return this.#alarm('trend', windowMs, grew, this.#grownSites(0));
  }

  async #alarm(
    kind: GrowthReport['kind'],
    windowMs: number,
    grew: MetricGrowth[],
    sites: SiteGrowth[],
  ): Promise<GrowthReport> {
    const topFunctions = grew.some((g) => g.metric === 'heapUsed')
      ? await this.#growingFunctions()
      : [];
    const message = describe(kind, grew, sites, topFunctions, windowMs);
    const report: GrowthReport = { windowMs, kind, grew, sites, topFunctions, message };
    // Start afresh: a continuing leak alarms again one window (or one more step) later.
    this.#samples = [];
    this.#siteHistory.clear();
    if (kind === 'site-step') {
      for (const s of sites) this.#stepHighs.set(s.site, s.reservedBytesNow);
    }
    recordAlarm({
      at: Date.now(),
      metrics: grew.map((g) => g.metric),
      sites: sites.map((s) => s.site),
      message,
    });
    this.emit('growth', report);
    if (this.#emitWarning)
      process.emitWarning(message, {
        code: WarningCodes.MEMORY_GROWTH,
        detail: JSON.stringify({ kind, grew, sites }),
      });
    return report;
  }

  /** Appends each site's figures to its history (a window long); forgets sites gone from the window. */
  #followSites(sample: MemorySample): void {
    if (sample.sites === undefined) return;
    const seen = new Set<string>();
    for (const s of sample.sites.slice(0, MAX_SITES_PER_SAMPLE)) {
      seen.add(s.site);
      let history = this.#siteHistory.get(s.site);
      if (history === undefined) {
        // A site new to the window started from nothing at the previous sample.
        const previous = this.#samples[this.#samples.length - 2];
        history = previous === undefined ? [] : [{ time: previous.time, stores: 0, bytes: 0 }];
        this.#siteHistory.set(s.site, history);
      }
      history.push({ time: sample.time, stores: s.stores, bytes: s.reservedBytes });
      // After a step alarm, the site's highest level since is its new mark to beat.
      const high = this.#stepHighs.get(s.site);
      if (high !== undefined && s.reservedBytes > high)
        this.#stepHighs.set(s.site, s.reservedBytes);
      if (history.length > this.#windowSize) history.shift();
    }
    for (const [site, history] of this.#siteHistory) {
      if (seen.has(site)) continue;
      history.push({ time: sample.time, stores: 0, bytes: 0 });
      if (history.length > this.#windowSize) history.shift();
      if (history.every((h) => h.stores === 0)) this.#siteHistory.delete(site);
    }
    // A site that fell back (below half its last step) may alarm again from its new low.
    for (const [site, high] of this.#stepHighs) {
      const history = this.#siteHistory.get(site);
      const now = history?.[history.length - 1]?.bytes ?? 0;
      if (now < high / 2) this.#stepHighs.delete(site);
    }
  }

  /**
   * Sites that stepped up: `siteStepStores` more live stores than at the window's low, and
   * `thresholdBytes` more reserved bytes held over each of the last `stepHoldSamples` samples.
   * A shared cache warming up adds bytes but no stores, so it never qualifies.
   */
  #steppedSites(): SiteGrowth[] {
    if (!Number.isFinite(this.#siteStepStores)) return [];
    const out: SiteGrowth[] = [];
    for (const [site, history] of this.#siteHistory) {
      if (history.length <= this.#stepHold) continue;
      const before = history.slice(0, history.length - this.#stepHold);
      const held = history.slice(-this.#stepHold);
      const lowStores = Math.min(...before.map((h) => h.stores));
      const lowBytes = Math.min(...before.map((h) => h.bytes));
      // The last sample at the low: the step started after it.
      let lowIndex = 0;
      for (let i = 0; i < before.length; i++) if (before[i]!.bytes === lowBytes) lowIndex = i;
      const heldStores = Math.min(...held.map((h) => h.stores));
      const heldBytes = Math.min(...held.map((h) => h.bytes));
      if (heldStores - lowStores < this.#siteStepStores) continue;
      if (heldBytes - lowBytes < this.#threshold) continue;
      if (heldBytes < (this.#stepHighs.get(site) ?? 0) + this.#threshold) continue;
      const now = history[history.length - 1]!;
      out.push({
        site,
        bytes: now.bytes - lowBytes,
        stores: now.stores - lowStores,
        storesNow: now.stores,
        reservedBytesNow: now.bytes,
        sinceMs: now.time - before[lowIndex]!.time,
      });
    }
    return out.sort((a, b) => b.bytes - a.bytes);
  }

  /** Sites whose reserved bytes grew from their window low to now by at least `minBytes`. */
  #grownSites(minBytes: number): SiteGrowth[] {
    const out: SiteGrowth[] = [];
    for (const [site, history] of this.#siteHistory) {
      if (history.length === 0) continue;
      const now = history[history.length - 1]!;
      const lowBytes = Math.min(...history.map((h) => h.bytes));
      const lowStores = Math.min(...history.map((h) => h.stores));
      if (now.bytes - lowBytes <= minBytes) continue;
      out.push({
        site,
        bytes: now.bytes - lowBytes,
        stores: now.stores - lowStores,
        storesNow: now.stores,
        reservedBytesNow: now.bytes,
      });
    }
    return out.sort((a, b) => b.bytes - a.bytes).slice(0, 5);
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
      // JS heap only: the stores' synthetic samples are judged per site instead.
      return summarizeProfile(await takeHeapProfile({ stores: false }));
    } catch {
      return undefined; // lost a race for the profile lock: this window goes without names
    }
  }

  #fail(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

/**
 * The default sample: process memory, the RSS account's allocator-retained figure (measured, or
 * the derived remainder) and the live stores by creation site. Reads `/proc/self/status`, not
 * smaps: cheap enough for every tick.
 */
function sampleProcess(): MemorySample {
  const sites = storeSites();
  const account = collectRssAccount({ detail: 'status' });
  const m = process.memoryUsage();
  let stores = 0;
  for (const s of sites) stores += s.reservedBytes;
  const retained =
    account.slices.find((s) => s.key === 'allocatorRetained') ??
    account.slices.find((s) => s.key === 'unattributed');
  return {
    time: Date.now(),
    heapUsed: m.heapUsed,
    external: m.external,
    stores,
    rss: account.rssBytes,
    allocatorRetained: retained?.bytes ?? 0,
    sites: sites.map((s) => ({ site: s.site, stores: s.stores, reservedBytes: s.reservedBytes })),
  };
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
  // A metric the sample source does not provide (an injected source, no /proc) is not judged.
  if (!values.every((v): v is number => typeof v === 'number' && Number.isFinite(v))) return [];
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
  kind: GrowthReport['kind'],
  grew: readonly MetricGrowth[],
  sites: readonly SiteGrowth[],
  top: readonly FunctionTotal[],
  windowMs: number,
): string {
  const parts = grew.map(
    (g) => `${LABELS[g.metric]} +${mib(g.bytes)} (${mib(g.bytesPerMinute)}/min)`,
  );
  let message =
    kind === 'trend'
      ? `Memory kept growing over the last ${(windowMs / 1000).toFixed(1)} s: ${parts.join(', ')}`
      : `Memory stepped up and stayed up within the last ${(windowMs / 1000).toFixed(1)} s: ${parts.join(', ')}`;
  if (sites.length > 0) {
    const names = sites.map(
      (s) =>
        `${s.site} (+${s.stores} stores, +${mib(s.bytes)}; ${s.storesNow} live, ${mib(s.reservedBytesNow)})`,
    );
    message += `; stores grew at ${names.join(', ')}`;
  }
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
