/**
 * S3-FIFO's ghost queue: the hashes of the entries the small queue evicted most recently, with
 * no key or value. A key whose hash is found here when it is stored again was evicted too soon,
 * so it goes straight to the main queue.
 *
 * Two typed arrays, no per-entry object: a ring of `capacity` hashes in eviction order (when it
 * is full the oldest is overwritten and leaves the set), and an open-addressing multiset of the
 * same hashes with twice as many slots (load <= 1/2), for an O(1) `take`. 12 bytes per ghost.
 * The set holds the hashes themselves, so a probe never reads the ring. The arrays are
 * allocated on the first `add` (a shard that never evicts from its small queue never needs
 * them, and a new store's shards are created and sized many at a time); their bytes are counted
 * from construction ({@link bytes}), so the owner's byte accounting does not change when they
 * appear.
 *
 * It is approximate, which is fine for advice: hashes are 32-bit (a different key with the
 * same hash is a false ghost hit, which only places that key in main), and a hash taken and
 * then added again may leave the set early, when the first ring slot holding it is overwritten.
 *
 * @module
 */

const PHI32 = 0x9e3779b1;

/** The arrays of a queue nothing was added to yet. */
const EMPTY = new Int32Array(0);

/** The set's empty marker is 0, so a hash of 0 is stored as 1 (one more false-hit pair). */
function tagged(hash: number): number {
  return hash === 0 ? 1 : hash;
}

/** A bounded FIFO of recently evicted key hashes with O(1) membership. */
export class GhostQueue {
  /** Empty until the first {@link add}. */
  #ring: Int32Array = EMPTY;
  #set: Int32Array = EMPTY;
  readonly #capacity: number;
  readonly #mask: number;
  readonly #shift: number;
  /** Ring position of the next add. */
  #next = 0;
  /** Ring positions written so far, up to the capacity. */
  #filled = 0;
  /** Hashes in the set. */
  #members = 0;

  /** Bytes a ghost queue of `capacity` hashes holds. */
  static bytesFor(capacity: number): number {
    return capacity * 4 + capacity * 2 * 4;
  }

  /** `capacity`: how many hashes it remembers, a power of two >= 1. */
  constructor(capacity: number) {
    this.#capacity = capacity;
    this.#mask = capacity * 2 - 1;
    this.#shift = 32 - Math.log2(capacity * 2);
  }

  /** How many hashes it remembers. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Bytes of the two arrays (counted before they are allocated, see the module comment). */
  get bytes(): number {
    return GhostQueue.bytesFor(this.#capacity);
  }

  /** Whether the arrays exist yet (they do from the first {@link add} on). */
  get allocated(): boolean {
    return this.#ring !== EMPTY;
  }

  /** Remembers `hash` as the newest ghost, forgetting the oldest when full. */
  add(hash: number): void {
    if (this.#ring === EMPTY) {
      this.#ring = new Int32Array(this.#capacity);
      this.#set = new Int32Array(this.#capacity * 2);
    }
    const ring = this.#ring;
    const at = this.#next;
    if (this.#filled === ring.length) this.#remove(ring[at]!);
    else this.#filled++;
    const value = tagged(hash);
    ring[at] = value;
    this.#next = at + 1 === ring.length ? 0 : at + 1;
    const set = this.#set;
    const mask = this.#mask;
    let s = this.#home(value);
    while (set[s] !== 0) s = (s + 1) & mask;
    set[s] = value;
    this.#members++;
  }

  /** Whether `hash` is a ghost; if so it is forgotten (a ghost hit is used once). */
  take(hash: number): boolean {
    // A store that has not evicted yet (still filling) skips the probe and its cache miss.
    return this.#members !== 0 && this.#remove(tagged(hash));
  }

  /** A new queue of `capacity` holding this one's newest hashes that are still ghosts. */
  resized(capacity: number): GhostQueue {
    const next = new GhostQueue(capacity);
    if (this.#members === 0) return next;
    const ring = this.#ring;
    const keep = Math.min(this.#filled, capacity);
    for (let i = keep; i > 0; i--) {
      const value = ring[(this.#next - i + ring.length) % ring.length]!;
      if (this.#has(value)) next.add(value);
    }
    return next;
  }

  #home(value: number): number {
    return Math.imul(value, PHI32) >>> this.#shift;
  }

  #has(value: number): boolean {
    const set = this.#set;
    const mask = this.#mask;
    for (let s = this.#home(value); set[s] !== 0; s = (s + 1) & mask) {
      if (set[s] === value) return true;
    }
    return false;
  }

  /** Removes one occurrence of `value` from the set; false when there is none. */
  #remove(value: number): boolean {
    const set = this.#set;
    const mask = this.#mask;
    let hole = this.#home(value);
    for (; set[hole] !== value; hole = (hole + 1) & mask) if (set[hole] === 0) return false;
    // Backward shift (no tombstones): later members of the probe run move into the hole
    // unless their home lies cyclically in (hole, q], where moving them would hide them.
    for (let q = (hole + 1) & mask; set[q] !== 0; q = (q + 1) & mask) {
      const home = this.#home(set[q]!);
      const homeAfterHole = hole <= q ? hole < home && home <= q : hole < home || home <= q;
      if (!homeAfterHole) {
        set[hole] = set[q]!;
        hole = q;
      }
    }
    set[hole] = 0;
    this.#members--;
    return true;
  }
}
