/**
 * Where a TieredCache's failures go, in one place: each kind of failure bumps its counter,
 * publishes on its `diagnostics_channel` (only when someone subscribes), and becomes an `error`
 * event, or, when nobody listens for `error`, a single process warning: an EventEmitter throws an
 * unheard `error`, which would turn a Redis hiccup into a crash.
 *
 * @module
 */
import type { EventEmitter } from 'node:events';
import { type TiercacheError, WarningCodes } from '../errors.ts';
import type { BreakerState } from './breaker.ts';
import { channels } from './channels.ts';
import type { StatsCounters } from './stats.ts';

/** The tier a corrupt entry or an unstorable value came from. */
export type FaultTier = 'memory' | 'redis' | 'loader';

/** Reports one cache's failures to its counters, channels and `error` listeners. */
export class ErrorReporter {
  readonly #name: string;
  readonly #emitter: EventEmitter;
  readonly #stats: StatsCounters;
  #warned = false;

  constructor(name: string, emitter: EventEmitter, stats: StatsCounters) {
    this.#name = name;
    this.#emitter = emitter;
    this.#stats = stats;
  }

  /** A Redis command failed or timed out (counted in `redis.errors`). */
  redis(operation: string, error: TiercacheError): void {
    this.#stats.redisErrors++;
    this.#publishRedis(operation, error);
    this.emit(error);
  }

  /** A write was not sent because the breaker is open (not counted as a Redis error). */
  skipped(operation: string, error: TiercacheError): void {
    this.#publishRedis(operation, error);
    this.emit(error);
  }

  /** Undecodable bytes (or a loaded value the codec cannot encode), counted in `codecErrors`. */
  corrupt(tier: FaultTier, key: string, error: TiercacheError): void {
    this.#stats.codecErrors++;
    if (channels.codecError.hasSubscribers) {
      channels.codecError.publish({ cache: this.#name, key, tier, error });
    }
    this.emit(error);
  }

  /**
   * The loader failed (counted in `loader.errors`). Not an `error` event: the callers whose keys
   * it was loading receive the error, unless a stale value was served instead (see `graceMs`).
   */
  loader(keys: readonly string[], error: unknown): void {
    this.#stats.loaderErrors++;
    if (channels.loaderError.hasSubscribers) {
      channels.loaderError.publish({ cache: this.#name, keys, error });
    }
  }

  /** The breaker changed state. */
  breaker(state: BreakerState): void {
    if (channels.breakerState.hasSubscribers) {
      channels.breakerState.publish({ cache: this.#name, state });
    }
  }

  /**
   * The bus subscriber failed (counted in `bus.errors`); only the first failure of an outage is
   * an `error` event, the repeats while it lasts are counted.
   */
  bus(error: Error, repeat: boolean): void {
    this.#stats.busErrors++;
    if (!repeat) this.emit(error);
  }

  /** The bus subscriber reconnected (memory was dropped). */
  busReconnect(): void {
    this.#stats.busReconnects++;
    if (channels.busReconnect.hasSubscribers) {
      channels.busReconnect.publish({ cache: this.#name });
    }
  }

  /**
   * Emits `error` only when someone listens; unheard errors become one process warning per cache.
   * A throwing listener is the listener's bug: it is rethrown on the next tick, never into a read.
   */
  emit(error: Error): void {
    const emitter = this.#emitter;
    if (emitter.listenerCount('error') > 0) {
      try {
        emitter.emit('error', error);
      } catch (listenerError) {
        process.nextTick(() => {
          throw listenerError;
        });
      }
      return;
    }
    if (this.#warned) return;
    this.#warned = true;
    process.emitWarning(
      `TieredCache "${this.#name}": ${error.message}. Add an 'error' listener to see every failure (reported once).`,
      { code: WarningCodes.CACHE_ERROR },
    );
  }

  #publishRedis(operation: string, error: TiercacheError): void {
    if (channels.redisError.hasSubscribers) {
      channels.redisError.publish({ cache: this.#name, operation, error });
    }
  }
}
