/**
 * The counters a store keeps, one plain object per store, incremented in place by its shards and
 * their eviction policies and copied by `MemoryStore.stats()`.
 *
 * @module
 */

/** The store's counters, incremented in place by its shards. */
export interface Counters {
  hits: number;
  misses: number;
  sets: number;
  deletes: number;
  evictions: number;
  expirations: number;
  collisions: number;
  reinserted: number;
  ghostHits: number;
}

/** A new set of counters, all zero. */
export function newCounters(): Counters {
  return {
    hits: 0,
    misses: 0,
    sets: 0,
    deletes: 0,
    evictions: 0,
    expirations: 0,
    collisions: 0,
    reinserted: 0,
    ghostHits: 0,
  };
}
