/**
 * One shard's index: an open-addressing hash table in two typed arrays, key hash -> entry
 * location, with no per-entry JS object.
 *
 * - Slot `i` holds `hashes[i]` and `locations[i]`; location 0 marks an empty slot (arena chunk
 *   ids start at 1, so a real location is never 0).
 * - Home slot: Fibonacci hashing, `imul(hash, 2^32 / phi) >>> (32 - log2(capacity))`, which
 *   takes the high bits; the store already used the low bits to pick the shard.
 * - Linear probing: the next slot is `(i + 1) & mask`. Lookups stop at the first empty slot.
 * - Deletion by backward shift (no tombstones): later members of the probe run move back into
 *   the hole when their home lies at or before it, so lookups stay short after many deletes.
 * - Grows x2 above 70 % load, shrinks /2 below 1/8 load (hysteresis so a key set/deleted at the
 *   boundary does not resize each time). Each slot costs 8 bytes.
 *
 * @module
 */

/** Bytes one slot costs (a u32 hash and a u32 location). */
export const SLOT_COST = 8;
/** Smallest capacity a table has. */
export const MIN_CAPACITY = 8;

const PHI32 = 0x9e3779b1;

/** The typed-array hash table of one shard. */
export class IndexTable {
  #hashes: Uint32Array;
  #locations: Uint32Array;
  #mask: number;
  #shift: number;
  #count = 0;

  /** Bytes a table with `capacity` slots holds. */
  static bytesFor(capacity: number): number {
    return capacity * SLOT_COST;
  }

  constructor(capacity: number = MIN_CAPACITY) {
    this.#hashes = new Uint32Array(capacity);
    this.#locations = new Uint32Array(capacity);
    this.#mask = capacity - 1;
    this.#shift = 32 - Math.log2(capacity);
  }

  /** Hashes per slot (read by the shard's probe loop). */
  get hashes(): Uint32Array {
    return this.#hashes;
  }

  /** Locations per slot, 0 = empty (read and updated in place by the shard). */
  get locations(): Uint32Array {
    return this.#locations;
  }

  /** `capacity - 1`: the probe wraps with `& mask`. */
  get mask(): number {
    return this.#mask;
  }

  /** Number of occupied slots. */
  get count(): number {
    return this.#count;
  }

  /** Number of slots. */
  get capacity(): number {
    return this.#hashes.length;
  }

  /** Bytes held by the two arrays. */
  get bytes(): number {
    return this.#hashes.length * SLOT_COST;
  }

  /** The first slot probed for `hash`. */
  home(hash: number): number {
    return Math.imul(hash, PHI32) >>> this.#shift;
  }

  /** The slot whose location is `location` (its hash is `hash`), or -1. */
  slotOf(hash: number, location: number): number {
    const locations = this.#locations;
    const mask = this.#mask;
    for (let i = this.home(hash); ; i = (i + 1) & mask) {
      const at = locations[i]!;
      if (at === location) return i;
      if (at === 0) return -1;
    }
  }

  /** Adds a slot; the caller has checked the key is absent and {@link needsGrowth} is false. */
  insert(hash: number, location: number): void {
    const locations = this.#locations;
    const mask = this.#mask;
    let i = this.home(hash);
    while (locations[i] !== 0) i = (i + 1) & mask;
    this.#hashes[i] = hash;
    locations[i] = location;
    this.#count++;
  }

  /** Empties slot `slot`, shifting later members of its probe run back into the hole. */
  removeAt(slot: number): void {
    const hashes = this.#hashes;
    const locations = this.#locations;
    const mask = this.#mask;
    let hole = slot;
    for (let j = (hole + 1) & mask; locations[j] !== 0; j = (j + 1) & mask) {
      const home = this.home(hashes[j]!);
      // Move j into the hole unless its home lies cyclically in (hole, j]: then it would be
      // placed before its home and become unreachable.
      const homeInRange = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!homeInRange) {
        hashes[hole] = hashes[j]!;
        locations[hole] = locations[j]!;
        hole = j;
      }
    }
    locations[hole] = 0;
    this.#count--;
  }

  /** Whether one more insert would cross the 70 % load limit. */
  needsGrowth(): boolean {
    return (this.#count + 1) * 10 > this.#hashes.length * 7;
  }

  /** The capacity to shrink to when the table is sparse (below 1/8 load), else 0. */
  shrinkTarget(): number {
    const capacity = this.#hashes.length;
    if (capacity <= MIN_CAPACITY || this.#count * 8 >= capacity) return 0;
    let target = capacity >>> 1;
    while (target > MIN_CAPACITY && this.#count * 4 < target) target >>>= 1;
    return target;
  }

  /** Rehashes every slot into new arrays of `capacity` slots (a power of two). */
  resize(capacity: number): void {
    const oldHashes = this.#hashes;
    const oldLocations = this.#locations;
    this.#hashes = new Uint32Array(capacity);
    this.#locations = new Uint32Array(capacity);
    this.#mask = capacity - 1;
    this.#shift = 32 - Math.log2(capacity);
    this.#count = 0;
    for (let i = 0; i < oldLocations.length; i++) {
      const location = oldLocations[i]!;
      if (location !== 0) this.insert(oldHashes[i]!, location);
    }
  }
}
