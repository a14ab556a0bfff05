/**
 * String hashing without allocation: FNV-1a over UTF-16 code units read with `charCodeAt`
 * (no encoding to bytes), finished with murmur3's avalanche so every output bit depends on every
 * input unit. The store takes its shard from the low bits and the index slot from the high bits.
 *
 * @module
 */

/** A function from a key to a 32-bit hash (only the low 32 bits are used). */
export type HashFunction = (key: string) => number;

/** Hashes a JS string to a 32-bit integer (signed int32), reading code units directly. */
export function hashString(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // FNV's multiply only carries entropy upward; the finaliser folds it back into the low bits
  // that pick the shard.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  // A signed int32 stays a small integer in V8; an unsigned value above 2^31 would be boxed.
  return h ^ (h >>> 16);
}
