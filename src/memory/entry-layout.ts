/**
 * The byte layout of one entry in an arena chunk, as named constants.
 *
 * Every entry starts on an 8-byte boundary so the chunk's `Int32Array` / `Float64Array` /
 * `Uint16Array` views can read header fields and UTF-16 keys without `DataView` calls:
 *
 * | byte | size | field                                                            |
 * | ---- | ---- | ---------------------------------------------------------------- |
 * | 0    | 4    | hash of the key (i32)                                            |
 * | 4    | 4    | slot bytes: the whole slot, header included, 8-aligned (i32)     |
 * | 8    | 8    | expiry, absolute ms on the store's clock, 0 = never (f64)        |
 * | 16   | 4    | value length in bytes (i32)                                      |
 * | 20   | 4    | key length in UTF-16 code units << 8, flags + policy bits in the low byte |
 * | 24   | k    | key: 1 byte per code unit (latin1) or 2 (UTF-16, `FLAG_WIDE_KEY`) |
 * | 24+k | v    | value bytes                                                      |
 *
 * The slot may be larger than header + key + value after an in-place overwrite with a shorter
 * value; the slot size is what the entry occupies and what `usedBytes` counts.
 *
 * @module
 */

/** Bytes of the fixed header in front of every key. */
export const HEADER_BYTES = 24;

/** Entries start on multiples of this, so typed-array views can read the header. */
export const ENTRY_ALIGN = 8;

/** Index of the hash in the chunk's `Int32Array`, relative to `offset >>> 2`. */
export const HASH_WORD = 0;
/** Index of the slot size in the chunk's `Int32Array`, relative to `offset >>> 2`. */
export const SLOT_WORD = 1;
/** Index of the expiry in the chunk's `Float64Array`, relative to `offset >>> 3`. */
export const EXPIRES_DOUBLE = 1;
/** Index of the value length in the chunk's `Int32Array`, relative to `offset >>> 2`. */
export const VALUE_LENGTH_WORD = 4;
/** Index of key length + flags in the chunk's `Int32Array`, relative to `offset >>> 2`. */
export const KEY_INFO_WORD = 5;

/** Key length is stored in the upper 24 bits of the key-info word. */
export const KEY_LENGTH_SHIFT = 8;
/** Longest key, in UTF-16 code units, that fits the 24-bit length field. */
export const MAX_KEY_UNITS = 0xff_ffff;

/** Flag: the key is stored as UTF-16 code units (some unit is >= 256); otherwise latin1. */
export const FLAG_WIDE_KEY = 0x01;
/** Flag: the value bytes are ASCII, so `getString` can use the (faster) latin1 decoder. */
export const FLAG_ASCII_VALUE = 0x02;
/**
 * The bits of the key-info word an eviction policy owns (see `policy.ts`): the shard never reads
 * them, carries them over when a key is written again, and a new entry starts with them at 0.
 */
export const POLICY_MASK = 0xf0;
/**
 * Two bits (of {@link POLICY_MASK}) the `s3fifo` policy uses to count reads since the entry entered its queue, 0..3 (S3-FIFO's frequency). A read
 * adds {@link FREQ_ONE} unless the count is already 3, so the hit path is one compare and at
 * most one store into the header; eviction reads and resets it.
 */
export const FREQ_MASK = 0x30;
/** One read in the {@link FREQ_MASK} field. */
export const FREQ_ONE = 0x10;
/** Flag: the slot is dead (deleted, overwritten elsewhere, expired); its bytes are free. */
export const FLAG_DEAD = 0x08;

/** Bytes an entry with `keyBytes` of key and `valueBytes` of value occupies (8-aligned). */
export function slotBytes(keyBytes: number, valueBytes: number): number {
  return Math.ceil((HEADER_BYTES + keyBytes + valueBytes) / ENTRY_ALIGN) * ENTRY_ALIGN;
}
