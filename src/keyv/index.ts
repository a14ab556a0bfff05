/**
 * Keyv storage adapters, so that code written for Keyv, cache-manager 7 or cacheable can keep
 * its calls and put tiercache underneath: {@link KeyvMemoryStore} over a MemoryStore (one
 * process) and {@link KeyvTieredStore} over a TieredCache (memory, then Redis, shared by every
 * node). Import from `tiercache/keyv`; Keyv itself is the caller's dependency, not tiercache's.
 *
 * @module
 */
export { KeyvMemoryStore } from './keyv-memory-store.ts';
export { KeyvTieredStore, type KeyvTieredStoreOptions } from './keyv-tiered-store.ts';
