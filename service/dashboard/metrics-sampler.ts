import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { memoryStores } from 'tiercache';
import {
  accountRss,
  gcStats,
  readRssInputs,
  readSmaps,
  type SmapsFigures,
} from 'tiercache/diagnostics';
import type { RoomService } from '../room-service.ts';

/** Samples between two reads of `/proc/self/smaps` (tens of ms in a large process). */
const SMAPS_EVERY = 5;

/** One point of the dashboard's charts; bytes are bytes, times are ms. */
export interface MetricsSample {
  /** When, epoch ms. */
  t: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Sum of `reservedBytes` over every live MemoryStore. */
  storeReserved: number;
  /** Live MemoryStores. */
  stores: number;
  liveRooms: number;
  /** Rooms that own a cache (bug mode). */
  ownCaches: number;
  /** Share of profile reads in the last interval answered without SQLite, 0..1 (null: no reads). */
  hitRatio: number | null;
  /** GC pause in the last interval, ms. */
  gcPauseMs: number;
  /** Messages handled by rooms per second over the last interval. */
  messagesPerSecond: number;
  /**
   * Where RSS goes, bytes by slice key of the memstats account (`file`, `jsHeap`, `v8PagePool`,
   * `stores`, `chunkPool`, `otherBuffers`, `otherExternal`, `v8Malloced`, `nativeMalloc`,
   * `allocatorRetained`, and the derived remainder `unattributed`); they sum to `rss`.
   */
  rssSlices: Record<string, number>;
  /** Share of RSS the account names (the derived remainder excluded), 0..1. */
  rssNamedShare: number;
  /** Event-loop delay over the last interval, ms (null before the first interval ends). */
  loopDelayMs: { p50: number; p99: number; max: number } | null;
}

/**
 * Samples the process's memory, the stores, the rooms and the cache once per interval on an
 * unref()ed timer and keeps the last `capacity` samples for the dashboard's charts.
 */
export class MetricsSampler {
  #service: RoomService;
  #samples: MetricsSample[] = [];
  #capacity: number;
  #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #last = { gcMs: 0, answered: 0, loaded: 0, handled: 0, t: 0 };
  #loopDelay: IntervalHistogram | undefined;
  #smaps: SmapsFigures | undefined;
  #sampled = 0;

  constructor(service: RoomService, options: { intervalMs?: number; capacity?: number } = {}) {
    this.#service = service;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#capacity = options.capacity ?? 300;
  }

  /** Takes a first sample and starts the timer. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#last = this.#counters();
    this.#loopDelay = monitorEventLoopDelay({ resolution: 10 });
    this.#loopDelay.enable();
    this.sample();
    this.#timer = setInterval(() => this.#guardedSample(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#loopDelay?.disable();
    this.#loopDelay = undefined;
  }

  /**
   * The timer's sample: a throw from a timer callback is uncaught and exits the process, and
   * `process.memoryUsage()` throws EMFILE when the process is out of file descriptors. A failed
   * sample is skipped (the chart shows a gap) and logged at most once a minute.
   */
  #guardedSample(): void {
    try {
      this.sample();
    } catch (error) {
      const now = Date.now();
      if (now - this.#lastFailureLog >= 60_000) {
        this.#lastFailureLog = now;
        console.error('metrics sample skipped:', (error as Error).message);
      }
    }
  }

  #lastFailureLog = 0;

  /** The samples kept, oldest first; only those after `since` (epoch ms) when given. */
  samples(since = 0): MetricsSample[] {
    return since === 0 ? [...this.#samples] : this.#samples.filter((s) => s.t > since);
  }

  /** Takes one sample now (the timer calls this every interval). */
  sample(): MetricsSample {
    const memory = process.memoryUsage();
    const stores = memoryStores();
    const now = this.#counters();
    const answered = now.answered - this.#last.answered;
    const loaded = now.loaded - this.#last.loaded;
    const seconds = Math.max((now.t - this.#last.t) / 1000, 0.001);
    const sample: MetricsSample = {
      t: now.t,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
      arrayBuffers: memory.arrayBuffers,
      storeReserved: stores.reduce((sum, s) => sum + s.reservedBytes, 0),
      stores: stores.length,
      liveRooms: this.#service.router.size,
      ownCaches: this.#service.modes.stats().live,
      hitRatio: answered + loaded > 0 ? answered / (answered + loaded) : null,
      gcPauseMs: Math.max(0, now.gcMs - this.#last.gcMs),
      messagesPerSecond: Math.max(0, now.handled - this.#last.handled) / seconds,
      ...this.#rss(),
      loopDelayMs: this.#takeLoopDelay(),
    };
    this.#last = now;
    this.#samples.push(sample);
    if (this.#samples.length > this.#capacity) this.#samples.shift();
    return sample;
  }

  /** The RSS account from `/proc/self/status`, with the smaps figures refreshed every few samples. */
  #rss(): Pick<MetricsSample, 'rssSlices' | 'rssNamedShare'> {
    const inputs = readRssInputs({ detail: 'status' });
    if (this.#sampled++ % SMAPS_EVERY === 0) this.#smaps = readSmaps();
    const account = accountRss({ ...inputs, smaps: inputs.status ? this.#smaps : undefined });
    const rssSlices: Record<string, number> = {};
    for (const slice of account.slices) rssSlices[slice.key] = slice.bytes;
    return { rssSlices, rssNamedShare: account.namedShare };
  }

  #takeLoopDelay(): MetricsSample['loopDelayMs'] {
    const h = this.#loopDelay;
    if (h === undefined || h.count === 0) return null;
    const ms = (ns: number) => ns / 1e6;
    const delay = { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) };
    h.reset();
    return delay;
  }

  #counters(): { gcMs: number; answered: number; loaded: number; handled: number; t: number } {
    const cache = this.#service.modes.totals();
    return {
      gcMs: gcStats().pauseMs,
      answered: cache.memoryHits + cache.redisHits,
      loaded: cache.loaderKeys,
      handled: this.#service.handledMessages(),
      t: Date.now(),
    };
  }
}
