/**
 * String hashing without allocation, seeded per process so that keys cannot be crafted to
 * collide. The key's UTF-16 code units are read with `charCodeAt` (no encoding to bytes); each
 * is mixed in FNV-1a's way (xor, then multiply by the FNV prime) followed by an xorshift that
 * folds the high bits back down; murmur3's avalanche finishes it so every output bit depends on
 * every input unit. The store takes its shard from the low bits and the index slot from the high
 * bits.
 *
 * Why seeded: an unseeded hash lets anyone compute collisions offline. With plain FNV-1a, whose
 * low state bits depend only on the low bits of the input, 65,536 80-character keys sharing one
 * 32-bit hash take a second to build (a birthday search per 5-character block, chained), and a
 * store holding them scans one probe run per lookup. Here the state starts from a 32-bit seed
 * drawn from `crypto.getRandomValues` when the module loads, so such keys collide only by
 * chance in another process; the per-unit xorshift removes the structure a seed-independent
 * differential could use. It is not a keyed cryptographic hash (SipHash would be, at several
 * times the cost): an attacker who could observe enough timings to recover the seed could still
 * craft collisions. The full-key comparison on every hash match keeps lookups correct whatever
 * the hash.
 *
 * @module
 */
import { getRandomValues } from 'node:crypto';

/** A function from a key to a 32-bit hash (only the low 32 bits are used). */
export type HashFunction = (key: string) => number;

/** This process's seed: random, drawn once. */
const PROCESS_SEED = getRandomValues(new Int32Array(1))[0]!;

/** Hashes a JS string to a 32-bit integer (signed int32) with this process's seed. */
export function hashString(key: string): number {
  return hashWithSeed(key, PROCESS_SEED);
}

/** Hashes a JS string to a 32-bit integer (signed int32) with the given 32-bit seed. */
export function hashWithSeed(key: string, seed: number): number {
  let h = seed ^ 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    h ^= h >>> 15;
  }
  // The finaliser spreads the last units' entropy over the low bits that pick the shard.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  // A signed int32 stays a small integer in V8; an unsigned value above 2^31 would be boxed.
  return h ^ (h >>> 16);
}

/** Where {@link hashStringWide} tells whether the key it hashed is wide. */
export interface KeyWidth {
  wide: boolean;
}

/**
 * {@link hashString} of `key`, telling in `out.wide` whether a code unit of `key` is >= 256 (the
 * store then keeps the key as UTF-16): one pass over the key for both, where a batch write
 * would otherwise read every key twice.
 */
export function hashStringWide(key: string, out: KeyWidth): number {
  let h = PROCESS_SEED ^ 0x811c9dc5;
  let units = 0;
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i);
    units |= unit;
    h = Math.imul(h ^ unit, 0x01000193);
    h ^= h >>> 15;
  }
  out.wide = units > 0xff;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
