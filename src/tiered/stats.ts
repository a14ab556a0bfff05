/**
 * Counters of a TieredCache and the frozen snapshot `stats()` returns. Counters are plain
 * numbers bumped on the hot path; the snapshot is built only when asked for.
 *
 * @module
 */
import type { BreakerState } from './breaker.ts';

/** A point-in-time, frozen copy of a TieredCache's counters. */
export interface TieredCacheStats {
  /** The cache's name (its Redis key prefix and bus channel). */
  readonly name: string;
  /** Memory tier: hits (negative entries included), misses, entries written. */
  readonly memory: { readonly hits: number; readonly misses: number; readonly sets: number };
  /**
   * The decoded hot set (`hotSet` option): keys and encoded bytes held now, reads it answered
   * (also counted in `memory.hits`), keys admitted; all 0 when off.
   */
  readonly hotSet: {
    readonly entries: number;
    readonly bytes: number;
    readonly hits: number;
    readonly admitted: number;
  };
  /**
   * Redis tier: hits (negative entries included), misses, failed or timed-out commands
   * (`errors`), commands not sent because the breaker was open (`skipped`), entries written.
   */
  readonly redis: {
    readonly hits: number;
    readonly misses: number;
    readonly errors: number;
    readonly skipped: number;
    readonly sets: number;
  };
  /** Loader: batch calls (`loads`), keys asked for (`keys`), failed calls, keys it did not have. */
  readonly loader: {
    readonly loads: number;
    readonly keys: number;
    readonly errors: number;
    readonly notFound: number;
  };
  /**
   * Grace periods (`graceMs`, `refreshAheadMs`): values served past their TTL because the loader
   * or Redis failed (`stale`), and background reloads started ahead of expiry (`refreshes`).
   */
  readonly grace: { readonly stale: number; readonly refreshes: number };
  /** Values refused by a tier for their size (`maxValueBytes`, the memory tier's `maxEntryBytes`). */
  readonly tooLarge: number;
  /** Entries that could not be decoded (each was deleted and treated as a miss). */
  readonly codecErrors: number;
  /**
   * Bus: invalidation messages sent, received from other nodes, subscriber reconnects, and
   * subscriber failures (every failed connection attempt and refused `SUBSCRIBE`, including the
   * repeats within one outage that raise no `error` event).
   */
  readonly bus: {
    readonly sent: number;
    readonly received: number;
    readonly reconnects: number;
    readonly errors: number;
  };
  /** The Redis circuit breaker's state; `disabled` when there is no Redis or no breaker. */
  readonly breaker: BreakerState | 'disabled';
}

/** The mutable counters behind {@link TieredCacheStats}. */
export class StatsCounters {
  memoryHits = 0;
  memoryMisses = 0;
  memorySets = 0;
  hotEntries = 0;
  hotBytes = 0;
  hotHits = 0;
  hotAdmitted = 0;
  redisHits = 0;
  redisMisses = 0;
  redisErrors = 0;
  redisSkipped = 0;
  redisSets = 0;
  loads = 0;
  keysLoaded = 0;
  loaderErrors = 0;
  notFound = 0;
  staleServed = 0;
  refreshes = 0;
  tooLarge = 0;
  codecErrors = 0;
  busSent = 0;
  busReceived = 0;
  busReconnects = 0;
  busErrors = 0;

  /** A frozen snapshot of the counters. */
  snapshot(name: string, breaker: BreakerState | 'disabled'): TieredCacheStats {
    return Object.freeze({
      name,
      memory: Object.freeze({
        hits: this.memoryHits,
        misses: this.memoryMisses,
        sets: this.memorySets,
      }),
      hotSet: Object.freeze({
        entries: this.hotEntries,
        bytes: this.hotBytes,
        hits: this.hotHits,
        admitted: this.hotAdmitted,
      }),
      redis: Object.freeze({
        hits: this.redisHits,
        misses: this.redisMisses,
        errors: this.redisErrors,
        skipped: this.redisSkipped,
        sets: this.redisSets,
      }),
      loader: Object.freeze({
        loads: this.loads,
        keys: this.keysLoaded,
        errors: this.loaderErrors,
        notFound: this.notFound,
      }),
      grace: Object.freeze({ stale: this.staleServed, refreshes: this.refreshes }),
      tooLarge: this.tooLarge,
      codecErrors: this.codecErrors,
      bus: Object.freeze({
        sent: this.busSent,
        received: this.busReceived,
        reconnects: this.busReconnects,
        errors: this.busErrors,
      }),
      breaker,
    });
  }
}
