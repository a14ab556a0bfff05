/**
 * A count-min sketch of how often key hashes were requested recently, for the `adaptive`
 * eviction policy's admission (TinyLFU, Einziger et al.; Caffeine's `FrequencySketch`):
 *
 * - 4-bit counters (0..15), eight to a `Uint32Array` word, in blocks of 16 words (one 64-byte
 *   cache line): a hash picks one block, and in each quarter of it (a row) one counter; it bumps
 *   those four, and its estimate is the least of them, so collisions only ever overestimate.
 *   One block per hash keeps an update to one cache line, as Caffeine's sketch does.
 * - A doorkeeper (a blocked Bloom filter of eight bits per counter column, two bits in one word
 *   per hash) absorbs a hash's first request: one-hit keys never reach the counters, which stay
 *   free for keys seen twice.
 * - Aging: after `4 x width` counted requests every counter is halved (a shift and a mask per
 *   word) and the doorkeeper cleared, so the sketch follows the workload as it changes.
 *
 * `width` counters per row, a power of two: `2 x width` bytes of counters, `width` bytes of
 * doorkeeper and a 256-byte buffer of hits not yet counted. No allocation after construction.
 *
 * @module
 */

const BLOCK_SEED = 0x9e3779b1;
const PICK_SEED = 0x85ebca77;
const DOOR_SEED = 0xc2b2ae3d;
const HALF_MASK = 0x77777777;
/** Hits buffered before they are counted. */
const PENDING = 64;

/** Recent request counts of 32-bit hashes, in typed arrays. */
export class FrequencySketch {
  readonly #counters: Uint32Array;
  readonly #doorkeeper: Uint32Array;
  readonly #blockMask: number;
  readonly #width: number;
  readonly #sampleSize: number;
  #additions = 0;
  /** Hashes of hits not yet counted (see {@link incrementLater}). */
  readonly #pending = new Int32Array(PENDING);
  #pendingCount = 0;

  /** Bytes a sketch of `width` counters per row holds. */
  static bytesFor(width: number): number {
    return width * 2 + Math.max(4, width) + PENDING * 4;
  }

  /** `width`: counters per row, a power of two >= 32. */
  constructor(width: number) {
    this.#width = width;
    this.#blockMask = (width >>> 5) - 1;
    this.#counters = new Uint32Array(width >>> 1);
    this.#doorkeeper = new Uint32Array(Math.max(1, width >>> 2));
    this.#sampleSize = Math.max(64, width * 4);
  }

  /**
   * A sketch of `width` counters per row for a resized index. Growing keeps this one's counts:
   * a hash's block is picked by the low bits of a mix of it and its counters within the block
   * by a mix independent of the width, so each block is repeated in the blocks whose low bits
   * it shares and every estimate stays the same (the copies add collisions, overestimates that
   * the next halvings wear away); buffered hits and the progress towards the next halving carry
   * over. Shrinking starts empty: folding blocks together (the largest count of each) would
   * raise nearly every counter of a busy sketch, and after a 4x shrink a third of keys never
   * asked for would pass the policy's `estimate > 1` admission test.
   */
  resized(width: number): FrequencySketch {
    const next = new FrequencySketch(width);
    if (width < this.#width) return next;
    for (let at = 0; at < next.#counters.length; at += this.#counters.length) {
      next.#counters.set(this.#counters, at);
    }
    for (let at = 0; at < next.#doorkeeper.length; at += this.#doorkeeper.length) {
      next.#doorkeeper.set(this.#doorkeeper, at);
    }
    next.#pending.set(this.#pending.subarray(0, this.#pendingCount));
    next.#pendingCount = this.#pendingCount;
    next.#additions = this.#additions;
    return next;
  }

  /** Counters per row. */
  get width(): number {
    return this.#width;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#counters.byteLength + this.#doorkeeper.byteLength + this.#pending.byteLength;
  }

  /**
   * Counts one request of `hash` later, at the next {@link increment} or {@link estimate}: a hit
   * only stores the hash in a small buffer, and when the buffer is full the request is not
   * counted (Caffeine's read buffer is lossy the same way). A shard that only hits admits
   * nothing, so what it drops changes no decision.
   */
  incrementLater(hash: number): void {
    if (this.#pendingCount < PENDING) this.#pending[this.#pendingCount++] = hash;
  }

  /** Counts one request of `hash` (and the buffered ones). */
  increment(hash: number): void {
    if (this.#pendingCount > 0) this.#drain();
    this.#add(hash);
  }

  #drain(): void {
    const pending = this.#pending;
    const count = this.#pendingCount;
    this.#pendingCount = 0;
    for (let i = 0; i < count; i++) this.#add(pending[i]!);
  }

  #add(hash: number): void {
    if (this.#admitToDoorkeeper(hash)) {
      const counters = this.#counters;
      const base = (mix(hash, BLOCK_SEED) & this.#blockMask) << 4;
      const pick = mix(hash, PICK_SEED);
      for (let row = 0; row < 4; row++) {
        const at = pick >>> (row << 3);
        const word = base + (row << 2) + (at & 3);
        const shift = ((at >>> 2) & 7) << 2;
        if (((counters[word]! >>> shift) & 0xf) !== 0xf)
          counters[word] = counters[word]! + (1 << shift);
      }
    }
    if (++this.#additions >= this.#sampleSize) this.#age();
  }

  /** The estimated recent requests of `hash`, 0..16 (the doorkeeper adds one). */
  estimate(hash: number): number {
    if (this.#pendingCount > 0) this.#drain();
    return this.#counted(hash);
  }

  /**
   * {@link estimate} without counting the buffered hits first (they are left for the next
   * {@link increment}): for a caller on the hit path, the shadow sample, where counting the
   * buffer would cost up to 64 counter updates each time.
   */
  peek(hash: number): number {
    return this.#counted(hash);
  }

  #counted(hash: number): number {
    const counters = this.#counters;
    const base = (mix(hash, BLOCK_SEED) & this.#blockMask) << 4;
    const pick = mix(hash, PICK_SEED);
    let least = 15;
    for (let row = 0; row < 4; row++) {
      const at = pick >>> (row << 3);
      const count = (counters[base + (row << 2) + (at & 3)]! >>> (((at >>> 2) & 7) << 2)) & 0xf;
      if (count < least) least = count;
    }
    return this.#inDoorkeeper(hash) ? least + 1 : least;
  }

  /** Sets the hash's doorkeeper bits; true when they were both set already (not a first sighting). */
  #admitToDoorkeeper(hash: number): boolean {
    const bits = this.#doorkeeper;
    const h = mix(hash, DOOR_SEED);
    const word = h & (bits.length - 1);
    const mask = (1 << ((h >>> 22) & 31)) | (1 << (h >>> 27));
    const seen = (bits[word]! & mask) === mask;
    if (!seen) bits[word] = bits[word]! | mask;
    return seen;
  }

  #inDoorkeeper(hash: number): boolean {
    const bits = this.#doorkeeper;
    const h = mix(hash, DOOR_SEED);
    const mask = (1 << ((h >>> 22) & 31)) | (1 << (h >>> 27));
    return (bits[h & (bits.length - 1)]! & mask) === mask;
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
