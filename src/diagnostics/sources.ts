/**
 * Where the report learns about the library's own live objects: the MemoryStore registry and
 * the TieredCache registry. Kept in one small file so memstats and metrics share one view.
 */
import { memoryStores } from '../memory/index.ts';

/** One live MemoryStore as the registry describes it. */
export interface StoreInfo {
  name: string;
  size: number;
  usedBytes: number;
  reservedBytes: number;
  maxBytes: number;
  createdAt: number;
  createdBy: string;
}

/** One live TieredCache: its name and its stats snapshot (counters and gauges). */
export interface CacheInfo {
  name: string;
  stats: object;
}

/** Every live MemoryStore. */
export function liveStores(): StoreInfo[] {
  return memoryStores() as StoreInfo[];
}

/**
 * Every live TieredCache. The TieredCache registry (`tieredCaches()` from `../tiered/index.ts`)
 * is being written on the `tiered` branch; until it is merged here the report lists none.
 */
export function liveCaches(): CacheInfo[] {
  return [];
}
