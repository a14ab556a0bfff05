/**
 * The options of a TieredCache, documented once here, and their validation (by the shared
 * checks of `options-check.ts`): a bad or unknown option fails at construction with an
 * `InvalidOptionError` naming it (and, when unknown, the closest known name), never on first use.
 *
 * @module
 */
import { InvalidOptionError, InvalidOptionTypeError } from '../errors.ts';
import { MemoryStore, type MemoryStoreOptions } from '../memory/index.ts';
import {
  booleanOption,
  checkOptionsObject,
  describeValue,
  durationOption,
  fractionOption,
  functionOption,
  integerOption,
  MAX_TIMER_MS,
  stringOption,
} from '../options-check.ts';
import type { BreakerOptions } from './breaker.ts';
import { type Codec, jsonCodec } from './codecs.ts';
import type { HotSetOptions } from './hot-set.ts';
import type { Loader } from './loader.ts';
import type { RedisClient } from './redis-tier.ts';

/** Options of a {@link TieredCache}. */
export interface TieredCacheOptions<V> {
  /**
   * The cache's name: the prefix of its keys in Redis (`<name>:<key>`) and in a shared memory
   * store, and the name of its bus channel (`<name>:bus`). Letters, digits and `._-{}` only: no
   * `:`, so the first `:` of a Redis key always ends the name (cache `a` key `b:k` cannot be cache
   * `a:b` key `k`). A name in braces is a cluster hash tag that keeps all its keys in one slot.
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
  /**
   * Grace period, in ms: how long past its TTL an entry's last value is kept (in Redis and in
   * memory, as bytes with a logical expiry) and served when the loader fails or Redis fails.
   * A fresh value is always preferred; 0 = none. All nodes of a cache must use the same value.
   * @default 0
   */
  graceMs?: number;
  /**
   * Refresh ahead, in ms: a read that finds less than this left before the entry's TTL returns
   * it at once and reloads the key in the background (once per key and process at a time), so
   * hot keys are replaced before they expire. Needs a loader (`load` or `getOrSet`'s). Below
   * `ttlMs`; 0 = off. @default 0
   */
  refreshAheadMs?: number;
  /**
   * Largest encoded value written to Redis, in bytes. A larger value is refused: thrown by a
   * `strict` cache's writes (nothing written), otherwise an `error` event (the key is dropped so
   * no older value is served in its place). 1 to 536870912 (Redis's own limit).
   * @default 16777216 (16 MiB)
   */
  maxValueBytes?: number;
  /**
   * Make writes throw when Redis fails, or a value is too large for a tier, instead of
   * reporting the error. @default false
   */
  strict?: boolean;
  /**
   * Keep the hottest keys' values decoded beside the memory tier's bytes, so a hit on them skips
   * the codec (see docs/tiered-cache.md): `{ maxEntries, maxBytes }` (defaults 1000 keys, 1 MiB
   * of encoded values), `true` for the defaults, `false` for none. Such a hit returns the same
   * object to every caller: treat values as read-only. Needs `memory`. @default false
   */
  hotSet?: HotSetOptions | boolean;
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
  graceMs: number;
  refreshAheadMs: number;
  maxValueBytes: number;
  strict: boolean;
  hotSet: Required<HotSetOptions> | null;
  now: () => number;
}

// Braces are allowed so that a name can be a cluster hash tag (`{room-7}`): one slot for all its keys.
// No ':': it separates the name from the key, so no two caches' keys or prefixes can overlap.
const NAME = /^[A-Za-z0-9._{}-]+$/;
/** The default `maxValueBytes`: 16 MiB. */
export const DEFAULT_MAX_VALUE_BYTES = 16 * 1024 * 1024;
/** Redis's own limit on one value (`proto-max-bulk-len`): 512 MiB. */
const MAX_REDIS_VALUE_BYTES = 512 * 1024 * 1024;

const KNOWN_HOT_SET: ReadonlySet<string> = new Set(['maxEntries', 'maxBytes']);

/** `hotSet`: bounds with defaults, or null when off. */
function hotSetOption(option: unknown): Required<HotSetOptions> | null {
  if (option === undefined || option === false) return null;
  const given = option === true ? {} : option;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new InvalidOptionTypeError(
      'hotSet',
      `expected { maxEntries, maxBytes }, true or false, got ${describeValue(option)}`,
    );
  }
  const h = checkOptionsObject('hotSet', given, KNOWN_HOT_SET) as HotSetOptions;
  return {
    maxEntries: integerOption('hotSet.maxEntries', h.maxEntries, 1000, 1, 1_000_000),
    maxBytes: integerOption('hotSet.maxBytes', h.maxBytes, 2 ** 20, 1, 2 ** 31, 'bytes'),
  };
}

/** Every option a TieredCache accepts: anything else is refused with the closest of these. */
const KNOWN: ReadonlySet<keyof TieredCacheOptions<unknown>> = new Set([
  'name',
  'codec',
  'memory',
  'redis',
  'load',
  'ttlMs',
  'memoryTtlMs',
  'negativeTtlMs',
  'ttlJitter',
  'redisTimeoutMs',
  'redisBatchSize',
  'breaker',
  'bus',
  'graceMs',
  'refreshAheadMs',
  'maxValueBytes',
  'strict',
  'hotSet',
  'now',
]);
const KNOWN_BREAKER: ReadonlySet<keyof BreakerOptions> = new Set([
  'failureThreshold',
  'coolDownMs',
]);

/** Validates `options` and applies defaults; throws naming the first bad option. */
export function resolveOptions<V>(input: TieredCacheOptions<V>): ResolvedOptions<V> {
  if (input === undefined) {
    throw new InvalidOptionTypeError(
      'options',
      'expected an object with at least a name, got undefined',
    );
  }
  const options = checkOptionsObject(
    'TieredCache',
    input,
    KNOWN,
  ) as unknown as TieredCacheOptions<V>;
  const name = stringOption('name', options.name, '', true);
  if (!NAME.test(name)) {
    throw new InvalidOptionError(
      'name',
      `expected only A-Z a-z 0-9 . _ - { } (":" separates the name from keys), got ${describeValue(name)}`,
    );
  }
  const codec = options.codec ?? jsonCodec<V>();
  if (typeof codec?.encode !== 'function' || typeof codec.decode !== 'function') {
    throw new InvalidOptionTypeError(
      'codec',
      `expected a codec with encode(value) and decode(bytes) functions, got ${describeValue(codec)}`,
    );
  }
  const redis = options.redis ?? false;
  if (redis !== false && (typeof redis !== 'object' || typeof redis.mgetBuffer !== 'function')) {
    throw new InvalidOptionTypeError(
      'redis',
      `expected an ioredis Redis or Cluster client, or false, got ${describeValue(redis)}`,
    );
  }
  const load = functionOption<Loader<V>>('load', options.load) ?? null;
  const memoryOption = options.memory ?? {};
  let memory: MemoryStore | null = null;
  let ownsMemory = false;
  if (memoryOption instanceof MemoryStore) {
    memory = memoryOption;
  } else if (memoryOption !== false) {
    if (typeof memoryOption !== 'object' || memoryOption === null || Array.isArray(memoryOption)) {
      throw new InvalidOptionTypeError(
        'memory',
        `expected a MemoryStore, MemoryStore options or false, got ${describeValue(memoryOption)}`,
      );
    }
    memory = null; // created last, once every other option is known to be valid
    ownsMemory = true;
  }
  const breakerOption = options.breaker ?? {};
  let breaker: Required<BreakerOptions> | null = null;
  if (breakerOption !== false) {
    if (
      typeof breakerOption !== 'object' ||
      breakerOption === null ||
      Array.isArray(breakerOption)
    ) {
      throw new InvalidOptionTypeError(
        'breaker',
        `expected { failureThreshold, coolDownMs } or false, got ${describeValue(breakerOption)}`,
      );
    }
    const b = checkOptionsObject('breaker', breakerOption, KNOWN_BREAKER) as BreakerOptions;
    breaker = {
      failureThreshold: integerOption(
        'breaker.failureThreshold',
        b.failureThreshold,
        5,
        1,
        2 ** 31,
      ),
      coolDownMs: durationOption('breaker.coolDownMs', b.coolDownMs, 5000, 1),
    };
  }
  const resolved: ResolvedOptions<V> = {
    name,
    codec,
    memory,
    ownsMemory,
    redis: redis === false ? null : redis,
    load,
    ttlMs: durationOption('ttlMs', options.ttlMs, 600_000),
    memoryTtlMs: durationOption('memoryTtlMs', options.memoryTtlMs, 60_000),
    negativeTtlMs: durationOption('negativeTtlMs', options.negativeTtlMs, 0),
    ttlJitter: fractionOption('ttlJitter', options.ttlJitter, 0.1),
    redisTimeoutMs: durationOption('redisTimeoutMs', options.redisTimeoutMs, 500, 1),
    redisBatchSize: integerOption('redisBatchSize', options.redisBatchSize, 10_000, 1, 100_000),
    breaker,
    bus: booleanOption('bus', options.bus, true),
    graceMs: durationOption('graceMs', options.graceMs, 0),
    refreshAheadMs: durationOption('refreshAheadMs', options.refreshAheadMs, 0),
    maxValueBytes: integerOption(
      'maxValueBytes',
      options.maxValueBytes,
      DEFAULT_MAX_VALUE_BYTES,
      1,
      MAX_REDIS_VALUE_BYTES,
      'bytes',
    ),
    strict: booleanOption('strict', options.strict, false),
    hotSet: hotSetOption(options.hotSet),
    now: functionOption<() => number>('now', options.now) ?? Date.now,
  };
  if (resolved.ttlMs > 0 && resolved.refreshAheadMs >= resolved.ttlMs) {
    throw new InvalidOptionError(
      'refreshAheadMs',
      `expected less than ttlMs (${resolved.ttlMs}), got ${resolved.refreshAheadMs}`,
    );
  }
  if (resolved.ttlMs + resolved.graceMs > MAX_TIMER_MS) {
    throw new InvalidOptionError(
      'graceMs',
      `expected ttlMs + graceMs <= ${MAX_TIMER_MS} ms, got ${resolved.ttlMs} + ${resolved.graceMs}`,
    );
  }
  if (ownsMemory) {
    resolved.memory = new MemoryStore({
      name: `tiered:${name}`,
      ...(memoryOption as MemoryStoreOptions),
    });
  }
  return resolved;
}
