/**
 * The TieredCache: the story's go2cache server done as a library. Reads go through memory
 * (a `MemoryStore`), then Redis (standalone or Cluster, one `MGET` per slot group), then a
 * batch loader, with single-flight loads, negative caching, pub/sub invalidation between nodes,
 * a per-command timeout and a circuit breaker so that a slow or dead Redis never hangs a caller.
 *
 * @module
 */
export type { BreakerOptions, BreakerState } from './breaker.ts';
export type {
  GetOrSetOptions,
  KeyLoader,
  ReadOptions,
  ReadPolicy,
  WriteOptions,
} from './call-options.ts';
export { TieredChannels } from './channels.ts';
export { bytesCodec, type Codec, jsonCodec, msgpackCodec, stringCodec } from './codecs.ts';
export type { HotSetOptions } from './hot-set.ts';
export type { Loader, LoaderResult } from './loader.ts';
export type { TieredCacheOptions } from './options.ts';
export type { RedisClient } from './redis-tier.ts';
export { tieredCaches } from './registry.ts';
export type { TieredCacheStats } from './stats.ts';
export { TieredCache, type TieredCacheEvents } from './tiered-cache.ts';
