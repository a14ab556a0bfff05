/**
 * Crafts keys that all share one 32-bit hash under the store's former, unseeded hash (FNV-1a
 * over UTF-16 code units from the fixed offset basis, then murmur3's finaliser), for the
 * hash-flooding benchmark and test.
 *
 * Method (Joux's multicollision over FNV's iterated state): from the fixed start state, a
 * birthday search over random 5-character alphanumeric blocks finds two blocks that lead to the
 * same 32-bit state (about 2^16 blocks tried). From that common state, another pair is found,
 * and so on: with `s` stages, choosing either block of each pair gives 2^s keys of 5s characters
 * that all reach the same final state, hence (the finaliser being a bijection) the same hash.
 * 16 stages give 65,536 80-character keys in about a second.
 *
 * @module
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BLOCK_UNITS = 5;
const FNV_BASIS = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** The store's hash before it was seeded: FNV-1a from the fixed basis, murmur3's finaliser. */
export function unseededHash(key: string): number {
  return finalise(fnvFrom(FNV_BASIS, key));
}

/**
 * `count` distinct alphanumeric keys (at most 2^24) that all have the same {@link
 * unseededHash}. Deterministic for a given `seed`.
 */
export function craftCollidingKeys(count: number, seed = 1): string[] {
  const stages = Math.max(1, Math.ceil(Math.log2(count)));
  if (stages > 24) throw new RangeError(`at most 2^24 keys, asked for ${count}`);
  let random = seed | 0 || 1;
  const nextRandom = (): number => {
    // xorshift32: reproducible blocks for a given seed.
    random ^= random << 13;
    random ^= random >>> 17;
    random ^= random << 5;
    return random >>> 0;
  };
  const pairs: [string, string][] = [];
  let state = FNV_BASIS;
  for (let stage = 0; stage < stages; stage++) {
    const seen = new Map<number, string>();
    for (;;) {
      let block = '';
      for (let i = 0; i < BLOCK_UNITS; i++) block += ALPHABET[nextRandom() % ALPHABET.length];
      const next = fnvFrom(state, block);
      const other = seen.get(next);
      if (other !== undefined && other !== block) {
        pairs.push([other, block]);
        state = next;
        break;
      }
      seen.set(next, block);
    }
  }
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    let key = '';
    for (let stage = 0; stage < stages; stage++) key += pairs[stage]![(i >>> stage) & 1];
    keys.push(flat(key));
  }
  return keys;
}

/** `count` random alphanumeric keys of `units` characters, deterministic for `seed`. */
export function randomKeys(count: number, units = BLOCK_UNITS * 16, seed = 7): string[] {
  let random = seed | 0 || 1;
  const keys: string[] = [];
  for (let k = 0; k < count; k++) {
    let key = '';
    for (let i = 0; i < units; i++) {
      random ^= random << 13;
      random ^= random >>> 17;
      random ^= random << 5;
      key += ALPHABET[(random >>> 0) % ALPHABET.length];
    }
    keys.push(flat(key));
  }
  return keys;
}

/** The same text as a flat string, as keys read from a request are (not a rope of appends). */
function flat(text: string): string {
  return Buffer.from(text, 'latin1').toString('latin1');
}

function fnvFrom(state: number, text: string): number {
  let h = state;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h;
}

function finalise(state: number): number {
  let h = state;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
