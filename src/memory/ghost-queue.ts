/**
 * S3-FIFO's ghost queue: the hashes of the entries the small queue evicted most recently, with
 * no key or value. A key whose hash is found here when it is stored again was evicted too soon,
 * so it goes straight to the main queue.
 *
 * Two typed arrays, no per-entry object: a ring of `capacity` hashes in eviction order (the
 * oldest is overwritten when it is full), and an open-addressing set of ring positions (stored
 * + 1, so 0 marks an empty slot) with twice as many slots (load <= 1/2), for an O(1) `take`.
 * The set keeps positions rather than hashes: the hash is read from the ring, and a ring slot
 * overwritten, re-added or taken simply stops being referenced. 12 bytes per ghost entry.
 *
 * Ghost hashes are 32-bit: a different key with the same hash is a false ghost hit, which only
 * places that key in the main queue.
 *
 * @module
 */

const PHI32 = 0x9e3779b1;

/** A bounded FIFO of recently evicted key hashes with O(1) membership. */
export class GhostQueue {
  #ring: Int32Array;
  #set: Int32Array;
  #mask: number;
  #shift: number;
  /** Ring position of the next add. */
  #next = 0;
  /** Ring positions written so far, up to the capacity. */
  #filled = 0;

  /** Bytes a ghost queue of `capacity` hashes holds (a power of two, or 0 for none). */
  static bytesFor(capacity: number): number {
    return capacity * 4 + capacity * 2 * 4;
  }

  /** `capacity`: how many hashes it remembers, a power of two >= 1. */
  constructor(capacity: number) {
    this.#ring = new Int32Array(capacity);
    this.#set = new Int32Array(capacity * 2);
    this.#mask = capacity * 2 - 1;
    this.#shift = 32 - Math.log2(capacity * 2);
  }

  /** How many hashes it remembers. */
  get capacity(): number {
    return this.#ring.length;
  }

  /** Bytes held by the two arrays. */
  get bytes(): number {
    return GhostQueue.bytesFor(this.#ring.length);
  }

  /** Remembers `hash` as the newest ghost, forgetting the oldest when full. */
  add(hash: number): void {
    const ring = this.#ring;
    const at = this.#next;
    if (this.#filled === ring.length) this.#unlink(at);
    else this.#filled++;
    // A hash already remembered moves to the newest position rather than being held twice.
    const slot = this.#slotOf(hash);
    ring[at] = hash;
    this.#next = at + 1 === ring.length ? 0 : at + 1;
    if (slot >= 0) {
      this.#set[slot] = at + 1;
      return;
    }
    const set = this.#set;
    const mask = this.#mask;
    let s = this.#home(hash);
    while (set[s] !== 0) s = (s + 1) & mask;
    set[s] = at + 1;
  }

  /** Whether `hash` is a ghost; if so it is forgotten (a ghost hit is used once). */
  take(hash: number): boolean {
    const slot = this.#slotOf(hash);
    if (slot < 0) return false;
    this.#removeSlot(slot);
    return true;
  }

  /** A new queue of `capacity` holding this one's newest hashes, oldest first. */
  resized(capacity: number): GhostQueue {
    const next = new GhostQueue(capacity);
    const ring = this.#ring;
    const keep = Math.min(this.#filled, capacity);
    for (let i = keep; i > 0; i--) {
      const at = (this.#next - i + ring.length) % ring.length;
      // Only positions the set still references are live ghosts.
      const slot = this.#slotOf(ring[at]!);
      if (slot >= 0 && this.#set[slot] === at + 1) next.add(ring[at]!);
    }
    return next;
  }

  #home(hash: number): number {
    return Math.imul(hash, PHI32) >>> this.#shift;
  }

  /** The set slot referencing a ring position that holds `hash`, or -1. */
  #slotOf(hash: number): number {
    const set = this.#set;
    const ring = this.#ring;
    const mask = this.#mask;
    for (let s = this.#home(hash); ; s = (s + 1) & mask) {
      const entry = set[s]!;
      if (entry === 0) return -1;
      if (ring[entry - 1] === hash) return s;
    }
  }

  /** Drops the set's reference to ring position `at`, if it still has one. */
  #unlink(at: number): void {
    const set = this.#set;
    const mask = this.#mask;
    for (let s = this.#home(this.#ring[at]!); ; s = (s + 1) & mask) {
      const entry = set[s]!;
      if (entry === 0) return;
      if (entry === at + 1) {
        this.#removeSlot(s);
        return;
      }
    }
  }

  /** Empties set slot `hole`, shifting later members of its probe run back (no tombstones). */
  #removeSlot(hole: number): void {
    const set = this.#set;
    const mask = this.#mask;
    for (let q = (hole + 1) & mask; set[q] !== 0; q = (q + 1) & mask) {
      const home = this.#home(this.#ring[set[q]! - 1]!);
      const homeAfterHole = hole <= q ? hole < home && home <= q : hole < home || home <= q;
      if (!homeAfterHole) {
        set[hole] = set[q]!;
        hole = q;
      }
    }
    set[hole] = 0;
  }
}
