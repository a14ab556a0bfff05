/**
 * The options of a TieredCache, documented once here, and their validation: a bad option fails
 * at construction with an `InvalidOptionError` (out of range) or `InvalidOptionTypeError` (wrong
 * type) naming it, never on first use.
 *
 * @module
 */
import { InvalidOptionError, InvalidOptionTypeError } from '../errors.ts';
import { MemoryStore, type MemoryStoreOptions } from '../memory/index.ts';
import type { BreakerOptions } from './breaker.ts';
import { type Codec, jsonCodec } from './codecs.ts';
import type { Loader } from './loader.ts';
import type { RedisClient } from './redis-tier.ts';

/** Options of a {@link TieredCache}. */
export interface TieredCacheOptions<V> {
  /**
   * The cache's name: the prefix of its keys in Redis (`<name>:<key>`) and in a shared memory
   * store, and the name of its bus channel (`<name>:bus`). Letters, digits and `._-:{}` only; a name in braces is a cluster hash tag
   * that keeps all the cache's keys in one slot.
   */
  name: string;
  /** How values become bytes. @default jsonCodec() */
  codec?: Codec<V>;
  /**
   * The memory tier: a `MemoryStore` to share (not closed by the cache), options for a store
   * the cache creates and owns, or `false` for none. @default {} (a store with default options)
   */
  memory?: MemoryStore | MemoryStoreOptions | false;
  /**
   * The Redis tier: an ioredis `Redis` or `Cluster` that the caller owns (the cache never closes
   * it), or `false` for none. @default false
   */
  redis?: RedisClient | false;
  /** The source of truth, called with a batch of missing keys. Without it a miss is a miss. */
  load?: Loader<V>;
  /** Lifetime of entries in Redis, in ms; 0 = no expiry. @default 600_000 (10 minutes) */
  ttlMs?: number;
  /**
   * Lifetime of entries in memory, in ms; 0 = no expiry. It bounds how stale a `fast` read can be
   * when bus messages are lost. Never longer than the entry's Redis lifetime. @default 60_000
   */
  memoryTtlMs?: number;
  /**
   * How long a key the loader does not have is remembered as missing (in both tiers), in ms;
   * 0 = not remembered (every read of a missing key reaches the loader). @default 0
   */
  negativeTtlMs?: number;
  /**
   * Random reduction of each lifetime, as a fraction (0.1 = up to 10 % shorter), so that keys
   * written together do not all expire together. 0..1. @default 0.1
   */
  ttlJitter?: number;
  /** Hard limit on each Redis command, in ms: past it the call fails over. @default 500 */
  redisTimeoutMs?: number;
  /** Most keys per `MGET` / pipeline; larger batches are cut into chunks sent in parallel. @default 10_000 */
  redisBatchSize?: number;
  /** Circuit breaker around Redis, or `false` for none. @default { failureThreshold: 5, coolDownMs: 5000 } */
  breaker?: BreakerOptions | false;
  /** Publish and receive invalidations over Redis pub/sub (needs `redis` and `memory`). @default true */
  bus?: boolean;
  /** Make writes throw when Redis fails instead of reporting the error. @default false */
  strict?: boolean;
  /** Clock in ms (for the breaker), for tests. @default Date.now */
  now?: () => number;
}

/** Options after validation, with defaults applied. */
export interface ResolvedOptions<V> {
  name: string;
  codec: Codec<V>;
  memory: MemoryStore | null;
  ownsMemory: boolean;
  redis: RedisClient | null;
  load: Loader<V> | null;
  ttlMs: number;
  memoryTtlMs: number;
  negativeTtlMs: number;
  ttlJitter: number;
  redisTimeoutMs: number;
  redisBatchSize: number;
  breaker: Required<BreakerOptions> | null;
  bus: boolean;
  strict: boolean;
  now: () => number;
}

// Braces are allowed so that a name can be a cluster hash tag (`{room-7}`): one slot for all its keys.
const NAME = /^[A-Za-z0-9._:{}-]+$/;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Validates `options` and applies defaults; throws naming the first bad option. */
export function resolveOptions<V>(options: TieredCacheOptions<V>): ResolvedOptions<V> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionTypeError('options', 'pass an object with at least a name');
  }
  const { name } = options;
  if (typeof name !== 'string') throw new InvalidOptionTypeError('name', 'must be a string');
  if (!NAME.test(name)) {
    throw new InvalidOptionError(
      'name',
      `"${name}" must be non-empty and use only A-Z a-z 0-9 . _ : - { }`,
    );
  }
  const codec = options.codec ?? jsonCodec<V>();
  if (typeof codec?.encode !== 'function' || typeof codec.decode !== 'function') {
    throw new InvalidOptionTypeError(
      'codec',
      'must have encode(value) and decode(bytes) functions',
    );
  }
  const redis = options.redis ?? false;
  if (redis !== false && (typeof redis !== 'object' || typeof redis.mgetBuffer !== 'function')) {
    throw new InvalidOptionTypeError(
      'redis',
      'must be an ioredis Redis or Cluster client, or false',
    );
  }
  const load = options.load ?? null;
  if (load !== null && typeof load !== 'function') {
    throw new InvalidOptionTypeError('load', 'must be a function (keys) => Map | object | array');
  }
  const memoryOption = options.memory ?? {};
  let memory: MemoryStore | null = null;
  let ownsMemory = false;
  if (memoryOption instanceof MemoryStore) {
    memory = memoryOption;
  } else if (memoryOption !== false) {
    if (typeof memoryOption !== 'object' || memoryOption === null) {
      throw new InvalidOptionTypeError(
        'memory',
        'must be a MemoryStore, MemoryStore options or false',
      );
    }
    memory = null; // created last, once every other option is known to be valid
    ownsMemory = true;
  }
  const breakerOption = options.breaker ?? {};
  if (breakerOption !== false && (typeof breakerOption !== 'object' || breakerOption === null)) {
    throw new InvalidOptionTypeError(
      'breaker',
      'must be { failureThreshold, coolDownMs } or false',
    );
  }
  const breaker =
    breakerOption === false
      ? null
      : {
          failureThreshold: integer(
            'breaker.failureThreshold',
            breakerOption.failureThreshold,
            5,
            1,
          ),
          coolDownMs: duration('breaker.coolDownMs', breakerOption.coolDownMs, 5000, 1),
        };
  const ttlMs = duration('ttlMs', options.ttlMs, 600_000, 0);
  const resolved: ResolvedOptions<V> = {
    name,
    codec,
    memory,
    ownsMemory,
    redis: redis === false ? null : redis,
    load,
    ttlMs,
    memoryTtlMs: duration('memoryTtlMs', options.memoryTtlMs, 60_000, 0),
    negativeTtlMs: duration('negativeTtlMs', options.negativeTtlMs, 0, 0),
    ttlJitter: fraction('ttlJitter', options.ttlJitter, 0.1),
    redisTimeoutMs: duration('redisTimeoutMs', options.redisTimeoutMs, 500, 1),
    redisBatchSize: integer('redisBatchSize', options.redisBatchSize, 10_000, 1, 100_000),
    breaker,
    bus: flag('bus', options.bus, true),
    strict: flag('strict', options.strict, false),
    now: options.now ?? Date.now,
  };
  if (typeof resolved.now !== 'function')
    throw new InvalidOptionTypeError('now', 'must be a function');
  if (ownsMemory) {
    resolved.memory = new MemoryStore({
      name: `tiered:${name}`,
      ...(memoryOption as MemoryStoreOptions),
    });
  }
  return resolved;
}

function number(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new InvalidOptionTypeError(option, 'must be a number');
  if (!Number.isFinite(value)) throw new InvalidOptionError(option, `must be finite, got ${value}`);
  return value;
}

function duration(option: string, value: unknown, fallback: number, min: number): number {
  const ms = number(option, value, fallback);
  if (ms < min || ms > MAX_TIMER_MS) {
    throw new InvalidOptionError(
      option,
      `must be between ${min} and ${MAX_TIMER_MS} ms, got ${ms}`,
    );
  }
  return ms;
}

function integer(
  option: string,
  value: unknown,
  fallback: number,
  min: number,
  max = 2 ** 31,
): number {
  const n = number(option, value, fallback);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InvalidOptionError(option, `must be an integer between ${min} and ${max}, got ${n}`);
  }
  return n;
}

function fraction(option: string, value: unknown, fallback: number): number {
  const n = number(option, value, fallback);
  if (n < 0 || n > 1) throw new InvalidOptionError(option, `must be between 0 and 1, got ${n}`);
  return n;
}

function flag(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidOptionTypeError(option, 'must be true or false');
  return value;
}
