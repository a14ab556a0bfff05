/**
 * What became of one entry of a batch write (`MemoryStore.setMany`'s `outcomes`), shared by the
 * store (which exports them) and its shards (which write them).
 *
 * @module
 */

/** {@link MemoryStore.setMany}'s per-entry outcome: the entry was stored. */
export const SET_STORED = 1;
/** {@link MemoryStore.setMany}'s per-entry outcome: no room even after evicting (any older value is gone). */
export const SET_NO_ROOM = 0;
/** {@link MemoryStore.setMany}'s per-entry outcome: larger than `maxEntryBytes`, not stored (any older value is gone). */
export const SET_TOO_LARGE = 2;
