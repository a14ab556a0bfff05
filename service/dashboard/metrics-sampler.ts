import { memoryStores } from 'tiercache';
import { gcStats } from 'tiercache/diagnostics';
import type { RoomService } from '../room-service.ts';

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

  constructor(service: RoomService, options: { intervalMs?: number; capacity?: number } = {}) {
    this.#service = service;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#capacity = options.capacity ?? 300;
  }

  /** Takes a first sample and starts the timer. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#last = this.#counters();
    this.sample();
    this.#timer = setInterval(() => this.#guardedSample(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
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
    };
    this.#last = now;
    this.#samples.push(sample);
    if (this.#samples.length > this.#capacity) this.#samples.shift();
    return sample;
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
