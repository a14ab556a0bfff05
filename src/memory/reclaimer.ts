/**
 * Gives back the memory that goes with chunks but is not chunk memory, after the pool has
 * released a lot: when stores close, their slab pages leave RSS at once, but their JS objects
 * (chunk views, shards, index wrappers) stay in V8's old space until a major GC, and their
 * index tables' bytes return to glibc's heap, which keeps freed holes resident. An idle or
 * lightly loaded service may not run a major GC for minutes.
 *
 * So once the bytes leased from the pool have dropped by {@link RECLAIM_AFTER_BYTES} below their
 * peak since the last reclaim (stores closed or emptied; the steady churn of a full cache frees
 * and re-leases chunks and does not count), a reclaim runs shortly after (timers are unref'd, never keep the process alive): V8 is told of memory
 * pressure (a memory-reducing, incremental collection), and {@link TRIM_DELAY_MS} later, once the
 * collected ArrayBuffers are freed, glibc's `malloc_trim(0)` returns the heap's free pages.
 * At most one reclaim per {@link RECLAIM_INTERVAL_MS}. Both steps need the native helper; without
 * it the reclaim does nothing and that memory waits for V8's own next major GC.
 * `TIERCACHE_RECLAIM=off` in the environment disables it.
 *
 * @module
 */
import { detectAllocator } from './allocator-detect.ts';
import { mallocTrim, nativeMemoryStatus, notifyMemoryPressure } from './native-memory.ts';

/** Drop of leased bytes below their peak that makes a reclaim due. */
export const RECLAIM_AFTER_BYTES = 16 * 1024 * 1024;

/** Delay between a reclaim becoming due and its start (lets a burst of closes finish). */
export const RECLAIM_DELAY_MS = 200;

/** Delay between the memory-pressure notification and `malloc_trim`. */
export const TRIM_DELAY_MS = 1000;

/** Shortest time between two reclaims. */
export const RECLAIM_INTERVAL_MS = 5000;

/** Environment variable that turns the reclaim off (`off`). */
export const RECLAIM_ENV = 'TIERCACHE_RECLAIM';

/** What the reclaimer has done, for memstats. */
export interface ReclaimSnapshot {
  /** False when turned off by {@link RECLAIM_ENV} or without the native helper. */
  readonly enabled: boolean;
  /** Reclaims run since the process started. */
  readonly reclaims: number;
  /** `malloc_trim` calls that returned memory. */
  readonly trims: number;
  /** How far leased bytes are below their peak since the last reclaim. */
  readonly droppedBytes: number;
  /** `Date.now()` of the last reclaim, 0 if none. */
  readonly lastReclaimAt: number;
}

/** Schedules reclaims as the pool releases bytes; see the module comment. */
export class Reclaimer {
  #peak = 0;
  #leased = 0;
  #reclaims = 0;
  #trims = 0;
  #lastAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #enabled: boolean | undefined;

  /** Whether reclaims run (decided on first use: needs the native helper). */
  get enabled(): boolean {
    this.#enabled ??= process.env[RECLAIM_ENV] !== 'off' && nativeMemoryStatus().loaded;
    return this.#enabled;
  }

  /**
   * Told by the pool on every free: leased bytes went from `before` to `after`. Schedules a
   * reclaim when they are {@link RECLAIM_AFTER_BYTES} below their peak. (Leased bytes only grow
   * between frees, so their value before each free is enough to track the peak.)
   */
  leasedDropped(before: number, after: number): void {
    if (before > this.#peak) this.#peak = before;
    this.#leased = after;
    if (this.#peak - after < RECLAIM_AFTER_BYTES || this.#timer !== undefined || !this.enabled) {
      return;
    }
    const wait = Math.max(RECLAIM_DELAY_MS, this.#lastAt + RECLAIM_INTERVAL_MS - Date.now());
    this.#timer = setTimeout(() => this.#reclaim(), wait);
    this.#timer.unref();
  }

  /** The reclaimer's figures now. */
  snapshot(): ReclaimSnapshot {
    return Object.freeze({
      enabled: this.enabled,
      reclaims: this.#reclaims,
      trims: this.#trims,
      droppedBytes: this.#peak - this.#leased,
      lastReclaimAt: this.#lastAt,
    });
  }

  #reclaim(): void {
    this.#peak = this.#leased;
    this.#reclaims++;
    this.#lastAt = Date.now();
    notifyMemoryPressure();
    if (detectAllocator().name !== 'glibc') {
      this.#timer = undefined;
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (mallocTrim() === true) this.#trims++;
    }, TRIM_DELAY_MS);
    this.#timer.unref();
  }
}

/** The reclaimer of the process-wide slab pool. */
export const reclaimer: Reclaimer = new Reclaimer();
