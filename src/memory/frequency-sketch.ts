/**
 * A count-min sketch of how often key hashes were requested recently, for the `adaptive`
 * eviction policy's admission (TinyLFU, Einziger et al.; Caffeine's `FrequencySketch`):
 *
 * - Four rows of 4-bit counters (0..15), eight to a `Uint32Array` word; a hash bumps one counter
 *   per row (each row mixes the hash with its own odd constant) and its estimate is the least
 *   of its four counters, so collisions only ever overestimate.
 * - A doorkeeper (a Bloom filter of eight bits per counter column, probed at two places) absorbs
 *   a hash's first request: one-hit keys never reach the counters, which stay free for keys
 *   seen twice.
 * - Aging: after `4 x width` counted requests every counter is halved (a shift and a mask per
 *   word) and the doorkeeper cleared, so the sketch follows the workload as it changes.
 *
 * `width` counters per row, a power of two: `2 x width` bytes of counters plus `width` bytes of
 * doorkeeper. No allocation after construction.
 *
 * @module
 */

const ROW_SEEDS = [0x9e3779b1, 0x85ebca77, 0xc2b2ae3d, 0x27d4eb2f] as const;
const HALF_MASK = 0x77777777;

/** Recent request counts of 32-bit hashes, in typed arrays. */
export class FrequencySketch {
  readonly #counters: Uint32Array;
  readonly #doorkeeper: Uint32Array;
  readonly #mask: number;
  readonly #width: number;
  readonly #sampleSize: number;
  #additions = 0;

  /** Bytes a sketch of `width` counters per row holds. */
  static bytesFor(width: number): number {
    return width * 2 + Math.max(4, width);
  }

  /** `width`: counters per row, a power of two >= 8. */
  constructor(width: number) {
    this.#width = width;
    this.#mask = width - 1;
    this.#counters = new Uint32Array(width >>> 1);
    this.#doorkeeper = new Uint32Array(Math.max(1, width >>> 2));
    this.#sampleSize = Math.max(64, width * 4);
  }

  /** Counters per row. */
  get width(): number {
    return this.#width;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#counters.byteLength + this.#doorkeeper.byteLength;
  }

  /** Counts one request of `hash`. */
  increment(hash: number): void {
    if (this.#admitToDoorkeeper(hash)) {
      const counters = this.#counters;
      const mask = this.#mask;
      const width = this.#width;
      for (let row = 0; row < 4; row++) {
        const column = mix(hash, ROW_SEEDS[row]!) & mask;
        const index = row * width + column;
        const word = index >>> 3;
        const shift = (index & 7) << 2;
        if (((counters[word]! >>> shift) & 0xf) !== 0xf)
          counters[word] = counters[word]! + (1 << shift);
      }
    }
    if (++this.#additions >= this.#sampleSize) this.#age();
  }

  /** The estimated recent requests of `hash`, 0..16 (the doorkeeper adds one). */
  estimate(hash: number): number {
    const counters = this.#counters;
    const mask = this.#mask;
    const width = this.#width;
    let least = 15;
    for (let row = 0; row < 4; row++) {
      const column = mix(hash, ROW_SEEDS[row]!) & mask;
      const index = row * width + column;
      const count = (counters[index >>> 3]! >>> ((index & 7) << 2)) & 0xf;
      if (count < least) least = count;
    }
    return this.#inDoorkeeper(hash) ? least + 1 : least;
  }

  /** Sets the hash's doorkeeper bits; true when they were all set already (not a first sighting). */
  #admitToDoorkeeper(hash: number): boolean {
    const bits = this.#doorkeeper;
    const mask = bits.length * 32 - 1;
    const a = mix(hash, 0x165667b1) & mask;
    const b = mix(hash, 0xd3a2646c) & mask;
    const seen = ((bits[a >>> 5]! >>> (a & 31)) & (bits[b >>> 5]! >>> (b & 31)) & 1) === 1;
    if (!seen) {
      bits[a >>> 5] = bits[a >>> 5]! | (1 << (a & 31));
      bits[b >>> 5] = bits[b >>> 5]! | (1 << (b & 31));
    }
    return seen;
  }

  #inDoorkeeper(hash: number): boolean {
    const bits = this.#doorkeeper;
    const mask = bits.length * 32 - 1;
    const a = mix(hash, 0x165667b1) & mask;
    const b = mix(hash, 0xd3a2646c) & mask;
    return ((bits[a >>> 5]! >>> (a & 31)) & (bits[b >>> 5]! >>> (b & 31)) & 1) === 1;
  }

  /** Halves every counter and clears the doorkeeper. */
  #age(): void {
    const counters = this.#counters;
    for (let i = 0; i < counters.length; i++) counters[i] = (counters[i]! >>> 1) & HALF_MASK;
    this.#doorkeeper.fill(0);
    this.#additions >>>= 1;
  }
}

/** A 32-bit mix of `hash` with an odd `seed` (multiply, then fold the high bits down). */
function mix(hash: number, seed: number): number {
  const h = Math.imul(hash ^ (hash >>> 16), seed);
  return h ^ (h >>> 15);
}
