/**
 * The live-cache registry: every TieredCache registers itself here through a `WeakRef`, so the
 * diagnostics module can list caches and their stats without keeping any of them alive. A cache
 * leaves the list when it is closed or garbage-collected.
 *
 * @module
 */
import type { TieredCacheStats } from './stats.ts';

/** What the registry needs from a cache. */
export interface RegisteredCache {
  readonly name: string;
  readonly closed: boolean;
  stats(): TieredCacheStats;
}

const live = new Set<WeakRef<RegisteredCache>>();
const cleanup = new FinalizationRegistry<WeakRef<RegisteredCache>>((ref) => live.delete(ref));

/** Adds a cache to the registry; returns the function that removes it (called by `close()`). */
export function registerCache(cache: RegisteredCache): () => void {
  const ref = new WeakRef(cache);
  live.add(ref);
  cleanup.register(cache, ref, ref);
  return () => {
    live.delete(ref);
    cleanup.unregister(ref);
  };
}

/** Lists the live (not closed, not collected) TieredCaches with a stats snapshot of each. */
export function tieredCaches(): Array<{ name: string; stats: TieredCacheStats }> {
  const out: Array<{ name: string; stats: TieredCacheStats }> = [];
  for (const ref of live) {
    const cache = ref.deref();
    if (!cache) {
      live.delete(ref);
      continue;
    }
    if (!cache.closed) out.push({ name: cache.name, stats: cache.stats() });
  }
  return out;
}
