/**
 * Keys to methods of a `MemoryStore` that only tiercache itself calls (the tiered cache's memory
 * tier): deliberately not exported from `tiercache` or `tiercache/memory`, so they are no part
 * of the store's API. A method under a symbol cannot be called by name, shows in no
 * autocompletion of the public types, and is reached only by importing this file.
 *
 * @module
 */

/**
 * The store's trusted batch write for a back-fill from Redis: `store[BACKFILL](...)` (see
 * `MemoryStore`'s method under this key).
 */
export const BACKFILL: unique symbol = Symbol('tiercache.memory.backfill');
