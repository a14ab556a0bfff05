/**
 * tiercache: a memory-safe multi-tier cache for Node.js. This entry point is the curated list of
 * what an application uses: the {@link TieredCache} (memory, then Redis, then the loader) with its
 * options, codecs and events, the in-process {@link MemoryStore} and its budget, and every error
 * class. Less common pieces live at their subpath (`tiercache/memory`, `tiercache/tiered`,
 * `tiercache/errors`); diagnostics live at `tiercache/diagnostics` so services that do not mount
 * them never load them.
 *
 * @module
 */
export {
  CacheClosedError,
  CircuitOpenError,
  CodecError,
  EntryTooLargeError,
  type ErrorCode,
  ErrorCodes,
  InsecureDebugError,
  InvalidArgumentError,
  InvalidOptionError,
  InvalidOptionTypeError,
  LoaderError,
  ProfileBusyError,
  RedisError,
  RedisTimeoutError,
  StoreClosedError,
  TiercacheError,
  ValueTooLargeError,
  WarningCodes,
} from './errors.ts';
export {
  defaultMemoryBudget,
  type EvictionPolicy,
  MemoryBudget,
  type MemoryBudgetOptions,
  type MemoryBudgetSnapshot,
  MemoryStore,
  type MemoryStoreInfo,
  type MemoryStoreOptions,
  type MemoryStoreStats,
  memoryStores,
  parseBytes,
  type RemovalReason,
  type SetOptions,
} from './memory/index.ts';
export {
  type BreakerOptions,
  type BreakerState,
  bytesCodec,
  type Codec,
  type GetOrSetOptions,
  type HotSetOptions,
  jsonCodec,
  type KeyLoader,
  type Loader,
  type LoaderResult,
  msgpackCodec,
  type ReadOptions,
  type ReadPolicy,
  type RedisClient,
  stringCodec,
  TieredCache,
  type TieredCacheEvents,
  type TieredCacheOptions,
  type TieredCacheStats,
  TieredChannels,
  tieredCaches,
  type WriteOptions,
} from './tiered/index.ts';
