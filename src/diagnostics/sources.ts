/**
 * Where the report learns about the library's own live objects: the MemoryStore registry, the
 * process memory budget and the TieredCache registry. Kept in one small file so memstats,
 * metrics and LeakWatch share one view.
 */
import {
  defaultMemoryBudget,
  type MemoryBudgetSnapshot,
  type MemoryStoreInfo,
  memoryStores,
} from '../memory/index.ts';
import { storeSites as registrySites, type StoreSiteTotals } from '../memory/registry.ts';
import { type TieredCacheStats, tieredCaches } from '../tiered/index.ts';

/** One live MemoryStore as the registry describes it. */
export type StoreInfo = MemoryStoreInfo;

/** A memory budget: its cap, what its stores reserve together, and how many draw on it. */
export type BudgetInfo = MemoryBudgetSnapshot;

/** One live TieredCache: its name and its stats snapshot. */
export interface CacheInfo {
  name: string;
  stats: TieredCacheStats;
}

/** Every live MemoryStore. */
export function liveStores(): StoreInfo[] {
  return memoryStores();
}

/** The process budget every store shares unless given its own. */
export function budgets(): BudgetInfo[] {
  return [defaultMemoryBudget().snapshot()];
}

/** Every live (not closed, not collected) TieredCache with a snapshot of its stats. */
export function liveCaches(): CacheInfo[] {
  return tieredCaches();
}

/** The live MemoryStores summed by creation site, most reserved bytes first. */
export function storeSites(): StoreSiteTotals[] {
  return registrySites();
}
