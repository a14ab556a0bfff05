/**
 * The in-process tier: {@link MemoryStore}, a lazily allocated, byte-bounded cache whose entries
 * live in per-shard arenas of large Buffers indexed by typed-array hash tables (no per-entry JS
 * object for the garbage collector to trace) and evicted by S3-FIFO (or plain FIFO) a chunk at
 * a time, the process-wide {@link MemoryBudget} all stores share, {@link memoryStores} to
 * list the live stores and where they were created, and {@link allocatorReport}: the C allocator
 * the process runs on and the figures of the slab pool every store's chunks are leased from.
 *
 * @module
 */
export type { AllocatorReport } from './allocator.ts';
export { allocatorReport } from './allocator.ts';
export type { AllocatorInfo, AllocatorName } from './allocator-detect.ts';
export { detectAllocator } from './allocator-detect.ts';
export { CHUNK_HEAP_BYTES } from './arena.ts';
export type { MemoryBudgetOptions, MemoryBudgetSnapshot } from './budget.ts';
export {
  DEFAULT_MEMORY_FRACTION,
  defaultMemoryBudget,
  defaultMemoryLimit,
  MEMORY_LIMIT_ENV,
  MemoryBudget,
} from './budget.ts';
export type { MemoryStoreStats, SetOptions } from './memory-store.ts';
export { MemoryStore, SET_NO_ROOM, SET_STORED, SET_TOO_LARGE } from './memory-store.ts';
export type { MallocInfo } from './native-memory.ts';
export type { MemoryStoreOptions } from './options.ts';
export { DEFAULT_MAX_BYTES, DEFAULT_SHARDS, DEFAULT_SWEEP_INTERVAL_MS } from './options.ts';
export { parseBytes } from './parse-bytes.ts';
export type { EvictionPolicy } from './policies.ts';
export type { ReclaimSnapshot } from './reclaimer.ts';
export { RECLAIM_ENV } from './reclaimer.ts';
export type { MemoryStoreInfo } from './registry.ts';
export {
  DEFAULT_MANY_STORES_THRESHOLD,
  manyStoresThreshold,
  memoryStores,
  setManyStoresThreshold,
} from './registry.ts';
export type { RemovalReason } from './shard.ts';
export type { ArenaBackend, SlabPoolSnapshot } from './slab-pool.ts';
export { ARENA_BACKEND_ENV, SLAB_BYTES } from './slab-pool.ts';
