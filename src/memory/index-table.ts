/**
 * One shard's index: an open-addressing hash table in one `Int32Array`, key hash -> entry
 * location, with no per-entry JS object.
 *
 * - Values are signed int32 (hashes and locations are 32-bit patterns): V8 keeps them as small
 *   integers, where unsigned values above 2^31 would be boxed on the hot path.
 * - Slot `s` occupies the pair `[2s] = hash, [2s + 1] = location`: hash and location share a
 *   cache line, so a probe costs one memory access (two parallel arrays cost two on a miss).
 *   Callers address slots by their even position `p = 2s`.
 * - Location 0 marks an empty slot (arena chunk ids start at 1, so a real location is never 0).
 * - Home slot: Fibonacci hashing, `imul(hash, 2^32 / phi) >>> (32 - log2(capacity))`, which
 *   takes the high bits; the store already used the low bits to pick the shard.
 * - Linear probing: the next position is `(p + 2) & mask`. Lookups stop at the first empty slot.
 * - Deletion by backward shift (no tombstones): later members of the probe run move back into
 *   the hole unless their home lies cyclically after the hole, so lookups stay short after many
 *   deletes.
 * - Grows x2 above 70 % load, shrinks below 1/8 load to a load of 1/4 to 1/2 (hysteresis, so a
 *   key set and deleted at the boundary does not resize each time). Each slot costs 8 bytes.
 *
 * @module
 */

/** Bytes one slot costs (a 32-bit hash and a 32-bit location). */
export const SLOT_COST = 8;
/** Smallest capacity a table has, in slots. */
export const MIN_CAPACITY = 8;

const PHI32 = 0x9e3779b1;

/** Told when occupied slots change position (an eviction policy keeping per-entry state). */
export interface PositionObserver {
  /** The slot at position `from` moved to the empty position `to`. */
  moved(from: number, to: number): void;
  /** After a rebuild: the slot at old position `2 * i` is now at `map[i]` (-1: none was there). */
  rehashed(map: Int32Array): void;
}

/** The typed-array hash table of one shard. */
export class IndexTable {
  #slots: Int32Array;
  #mask: number;
  #shift: number;
  #count = 0;
  /** Told about slots that move, when set. */
  #observer: PositionObserver | undefined;

  /** Bytes a table with `capacity` slots holds. */
  static bytesFor(capacity: number): number {
    return capacity * SLOT_COST;
  }

  constructor(capacity: number = MIN_CAPACITY) {
    this.#slots = new Int32Array(capacity * 2);
    this.#mask = capacity * 2 - 1;
    this.#shift = 32 - Math.log2(capacity);
  }

  /** From now on, tells `observer` about every occupied slot that changes position. */
  observe(observer: PositionObserver): void {
    this.#observer = observer;
  }

  /** The slot pairs `[hash, location]` (read, and locations updated, by the shard). */
  get slots(): Int32Array {
    return this.#slots;
  }

  /** Wraps a position: the next probe is `(p + 2) & mask`. */
  get mask(): number {
    return this.#mask;
  }

  /** Number of occupied slots. */
  get count(): number {
    return this.#count;
  }

  /** Number of slots. */
  get capacity(): number {
    return this.#slots.length >>> 1;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.#slots.length * 4;
  }

  /** The position of the first slot probed for `hash`. */
  home(hash: number): number {
    return (Math.imul(hash, PHI32) >>> this.#shift) << 1;
  }

  /** The position whose location is `location` (its hash is `hash`), or -1. */
  positionOf(hash: number, location: number): number {
    const slots = this.#slots;
    const mask = this.#mask;
    for (let p = this.home(hash); ; p = (p + 2) & mask) {
      const at = slots[p + 1]!;
      if (at === location) return p;
      if (at === 0) return -1;
    }
  }

  /**
   * Adds a slot and returns its position; the caller has checked the key is absent and {@link
   * needsGrowth} is false.
   */
  insert(hash: number, location: number): number {
    const slots = this.#slots;
    const mask = this.#mask;
    let p = this.home(hash);
    while (slots[p + 1] !== 0) p = (p + 2) & mask;
    slots[p] = hash;
    slots[p + 1] = location;
    this.#count++;
    return p;
  }

  /**
   * Fills the empty slot at position `p` and returns `p`: the slot a probe for `hash` ended on
   * (the first empty one from its home), with no change to the table since. Saves {@link
   * insert}'s second probe for a caller that has just probed.
   */
  insertAt(p: number, hash: number, location: number): number {
    const slots = this.#slots;
    slots[p] = hash;
    slots[p + 1] = location;
    this.#count++;
    return p;
  }

  /** Empties the slot at position `p`, shifting later members of its probe run into the hole. */
  removeAt(p: number): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let hole = p;
    for (let q = (hole + 2) & mask; slots[q + 1] !== 0; q = (q + 2) & mask) {
      const home = this.home(slots[q]!);
      // q may fill the hole unless its home lies cyclically in (hole, q]: moved before its home,
      // it would be unreachable.
      const homeAfterHole = hole <= q ? hole < home && home <= q : hole < home || home <= q;
      if (!homeAfterHole) {
        slots[hole] = slots[q]!;
        slots[hole + 1] = slots[q + 1]!;
        this.#observer?.moved(q, hole);
        hole = q;
      }
    }
    slots[hole + 1] = 0;
    this.#count--;
  }

  /** Whether one more insert would cross the 70 % load limit. */
  needsGrowth(): boolean {
    return (this.#count + 1) * 10 > this.capacity * 7;
  }

  /** The capacity to shrink to when the table is sparse (below 1/8 load), else 0. */
  shrinkTarget(): number {
    const capacity = this.capacity;
    if (capacity <= MIN_CAPACITY || this.#count * 8 >= capacity) return 0;
    let target = capacity >>> 1;
    while (target > MIN_CAPACITY && this.#count * 4 < target) target >>>= 1;
    return target;
  }

  /** Rehashes every slot into a new array of `capacity` slots (a power of two). */
  resize(capacity: number): void {
    const old = this.#slots;
    this.#slots = new Int32Array(capacity * 2);
    this.#mask = capacity * 2 - 1;
    this.#shift = 32 - Math.log2(capacity);
    this.#count = 0;
    const observer = this.#observer;
    const map = observer === undefined ? undefined : new Int32Array(old.length >>> 1).fill(-1);
    for (let p = 0; p < old.length; p += 2) {
      const location = old[p + 1]!;
      if (location === 0) continue;
      const to = this.insert(old[p]!, location);
      if (map !== undefined) map[p >>> 1] = to;
    }
    if (map !== undefined) observer!.rehashed(map);
  }
}
