/**
 * The decoded hot set: the values of a cache's hottest keys, kept decoded (as JS values) beside
 * the byte tier, so a hit on them skips the codec. Bounded by entry count and by the encoded
 * bytes of its values; only keys the byte tier holds can be in it, and it never outlives them: a
 * member carries its entry's expiry, a hit re-checks the byte tier whenever that has removed
 * anything since (an eviction or expiry there ends the member here), and every write, delete,
 * bus invalidation and clear of the byte tier drops the key here too.
 *
 * Admission is frequency-gated so a scan does not flush it: every read counts toward the key's
 * estimated frequency. A key's first read in an aging period only sets its doorkeeper bit (one
 * bit per key hash); later reads go to a count-min sketch of two rows (two one-byte counters
 * picked by the key's hash, at most 15, the estimate their minimum + the doorkeeper bit; a read
 * raises only the counters at that minimum, so keys sharing one counter inflate each other less;
 * `8 * maxEntries` counters, halved, and the doorkeeper cleared, every `8 * maxEntries` reads the
 * byte tier answers, so old popularity fades). Why the doorkeeper: most keys outside the hot set
 * are read once per period, and then touch one bit instead of the counters. A hit in the hot set
 * counts for its member too, so a key read often stays heavier than the keys that would replace
 * it. A key is admitted once its estimate reaches 2, and when the set is full only if it has been
 * read more often than the member under the clock hand, which it then replaces (ties keep the
 * member: churning the set on every read of a lukewarm key would cost more than it saves). Why
 * two rows: with one counter per hash, the long tail's keys shared counters with one another
 * and looked hotter than they were, so members were replaced by keys read no more often. Only
 * the hot set's own members are heap objects; the rest of the cache stays in the store's arena.
 *
 * Sampled counting: once every slot is taken, only one in two reads of keys outside the set are
 * counted, drawn at random (the aging period counts those counted reads); hits on members are
 * all counted. Why: in a full set most such reads are of the long tail, and each counted one
 * touches the doorkeeper and the sketch, often a victim's counters too, cache lines that a
 * member hit then misses; sampling halves that, and the replacements with it (a read on the
 * bench's Zipf 1.0 sequence, members and the rest together, took 0.92-0.97x the time with
 * every read counted, same code in one process). A candidate is then compared with members
 * counted at twice its rate, so it must be read about twice as often as the member it
 * replaces: less churn, and on that sequence the share of reads members answer moved by under
 * 0.2 points (a quarter counted lost 0.5 to 0.8 points, and sampling the members' hits as well
 * lost more). Why random and not every other read: a fixed stride aliases with a client that
 * reads keys in a cycle, and one key of two would never be counted; a choice by key hash would
 * shut half the keys out for good.
 *
 * @module
 */
import { hashString } from '../memory/hash.ts';

/**
 * Where a key's counter stops: four agings bring the hottest key back to 0, so a member whose
 * popularity has passed gives way within four periods rather than eight.
 */
const MAX_COUNT = 15;

/**
 * Counters of the frequency sketch per member the hot set may hold (rounded up to a power of
 * two). Why not more: a member hit bumps its counters, so the table should stay in the CPU's
 * cache; twice as many raised the share of reads members answer by under half a point.
 */
const COUNTERS_PER_ENTRY = 8;

/**
 * Doorkeeper bits per counter of the sketch: enough that the keys read within one aging period
 * (at most `AGING_PERIOD_PER_ENTRY` per member) set under a quarter of them.
 */
const DOOR_BITS_PER_COUNTER = 4;

/** Multiplier picking a key's doorkeeper bit from its hash (the top bits of the product). */
const DOOR_MIX = 0x9e3779b1;

/**
 * Reads counted (see {@link SAMPLE_SHIFT}), per member the hot set may hold, between two halvings
 * of the counters.
 */
const AGING_PERIOD_PER_ENTRY = 8;

/**
 * Once the hot set is full, it counts one in `2 ** SAMPLE_SHIFT` reads of keys it does not hold
 * (see "Sampled counting" above).
 */
const SAMPLE_SHIFT = 1;

/** Bounds of a hot set. */
export interface HotSetOptions {
  /** Most keys kept decoded. @default 1000 */
  maxEntries?: number;
  /** Most encoded bytes (the values' sizes in the byte tier) kept decoded, in bytes. @default 1 MiB */
  maxBytes?: number;
}

/** A hot set member: its value, encoded size, expiry (0: none; ms since the epoch) and ring slot. */
interface Member<V> {
  value: V;
  bytes: number;
  expiresAt: number;
  slot: number;
  /** The key's hash: a hit bumps its counters without hashing the key again. */
  hash: number;
  /** The store's removal count when the member was last known to be in it. */
  checked: number;
  /** `value` as a resolved promise, made on the member's first {@link HotSet.resolved} hit. */
  promise: Promise<V> | undefined;
}

/** {@link HotSet.get}'s answer for a key the hot set does not hold. */
export const NOT_HOT: unique symbol = Symbol('tiercache.not-hot');

/** Decoded values of the hottest keys, bounded by count and bytes. */
export class HotSet<V> {
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  /**
   * Members by key. Why a `Map` and not an index keyed by the store's hash: V8 keeps a string's
   * hash in the string, so a hit on a key string the caller reuses hashes nothing, where our own
   * index must hash the key on every read (cheaper for a miss, but slower for hits on long keys,
   * and hits are most reads).
   */
  readonly #members = new Map<string, Member<V>>();
  /**
   * Member keys by slot, swept by a clock hand to pick the next candidate for replacement. Why
   * not the Map's own order: reaching the first key of a Map that has seen many deletes walks
   * over their holes, which made a full hot set slower than no hot set at all.
   */
  readonly #ring: Array<string | undefined>;
  /** Free slots of {@link #ring}, as a stack. */
  readonly #free: Int32Array;
  #freeCount: number;
  /** Each ring slot's key hash: weighing a victim hashes nothing. */
  readonly #hashes: Int32Array;
  #hand = 0;
  readonly #counts: Uint8Array;
  readonly #countMask: number;
  /**
   * The doorkeeper: one bit per key hash (several keys may share one), set by the key's first
   * read in an aging period; only later reads reach {@link #counts}. A key read once touches one
   * bit and leaves the counters to keys read again, and the counters, with fewer keys on them,
   * overestimate less. Cleared whenever the counters are halved or cleared.
   */
  readonly #door: Int32Array;
  /** Right shift taking a hash's doorkeeper bit index from the top bits of `hash * DOOR_MIX`. */
  readonly #doorShift: number;
  #bumps = 0;
  readonly #period: number;
  #bytes = 0;
  #hits = 0;
  #admitted = 0;
  /** Mask of the random bits that must all be 0 for a full set to count a read (0: count all). */
  readonly #sampleMask: number;
  /** State of the xorshift generator drawing which reads a full set counts (never 0). */
  #random = 0x2545f491;

  /** The byte tier's clock, in ms. */
  readonly #now: () => number;

  /**
   * `now` is the byte tier's clock. `sampleShift`: a full set counts one in `2 ** sampleShift`
   * reads of keys it does not hold (0: every read, as before it is full; for tests that count
   * reads exactly).
   */
  constructor(
    options: HotSetOptions = {},
    now: () => number = Date.now,
    sampleShift: number = SAMPLE_SHIFT,
  ) {
    this.#now = now;
    this.#sampleMask = (1 << sampleShift) - 1;
    this.#maxEntries = options.maxEntries ?? 1000;
    this.#maxBytes = options.maxBytes ?? 2 ** 20;
    this.#ring = new Array<string | undefined>(this.#maxEntries).fill(undefined);
    this.#free = new Int32Array(this.#maxEntries);
    for (let i = 0; i < this.#maxEntries; i++) this.#free[i] = this.#maxEntries - 1 - i;
    this.#freeCount = this.#maxEntries;
    this.#hashes = new Int32Array(this.#maxEntries);
    let size = 64;
    while (size < this.#maxEntries * COUNTERS_PER_ENTRY) size *= 2;
    this.#counts = new Uint8Array(size);
    this.#countMask = size - 1;
    const doorBits = size * DOOR_BITS_PER_COUNTER;
    this.#door = new Int32Array(doorBits >>> 5);
    this.#doorShift = 32 - Math.log2(doorBits);
    this.#period = this.#maxEntries * AGING_PERIOD_PER_ENTRY;
  }

  /** Keys held. */
  get size(): number {
    return this.#members.size;
  }

  /** Encoded bytes of the values held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Reads the hot set answered. */
  get hits(): number {
    return this.#hits;
  }

  /** Keys admitted since construction. */
  get admitted(): number {
    return this.#admitted;
  }

  /**
   * The decoded value under `key`, or {@link NOT_HOT}. A member past its expiry is dropped. The
   * byte tier's `removals` count says whether it may have lost the entry since the member was
   * last checked: if it changed, `check(key)` (a read of the byte tier) must confirm the entry
   * first, else the member is dropped. Why not check every time: the check is a full store
   * lookup, as long as the rest of a hot hit together.
   */
  get(key: string, removals: number, check: (key: string) => boolean): V | typeof NOT_HOT {
    const member = this.#live(key, removals, check);
    return member === undefined ? NOT_HOT : member.value;
  }

  /**
   * {@link get} answering with a resolved promise of the value, made once per member and handed
   * to every later hit (a resolved promise cannot change, so sharing it is safe), or `undefined`
   * when the hot set does not hold `key`. For async callers: a hit allocates nothing.
   */
  resolved(key: string, removals: number, check: (key: string) => boolean): Promise<V> | undefined {
    const member = this.#live(key, removals, check);
    if (member === undefined) return undefined;
    let promise = member.promise;
    if (promise === undefined) {
      promise = Promise.resolve(member.value);
      member.promise = promise;
    }
    return promise;
  }

  /** The member under `key` if it is still valid (see {@link get}), counted as a hit. */
  #live(key: string, removals: number, check: (key: string) => boolean): Member<V> | undefined {
    const member = this.#members.get(key);
    if (member === undefined) return undefined;
    if (member.expiresAt !== 0 && this.#now() >= member.expiresAt) {
      this.delete(key);
      return undefined;
    }
    if (member.checked !== removals) {
      if (!check(key)) {
        this.delete(key);
        return undefined;
      }
      member.checked = removals;
    }
    // A hit counts as a read of the key, so a member read often keeps outweighing the keys that
    // would replace it (its counter would otherwise only fade while it is hit).
    this.#bump(member.hash);
    this.#hits++;
    return member;
  }

  /**
   * A read the byte tier answered with `value` (`bytes` encoded): counts it, and admits the key
   * when it has become hot enough, asking `expiry(key)` for the entry's expiry in the byte tier
   * (ms on its clock, 0 for never, -1 when it no longer holds it) and recording `removals`, the
   * byte tier's removal count now. O(1): one counter, at most one member weighed for
   * replacement; once the set is full, most offers are not counted at all (see
   * {@link SAMPLE_SHIFT}). `hash` is a 32-bit hash of the key, the same for every offer of it
   * (the memory tier passes the one the store computed for its read, so the key is hashed once).
   */
  offer(
    key: string,
    value: V,
    bytes: number,
    removals: number,
    expiry: (key: string) => number,
    hash: number = hashString(key),
  ): void {
    if (bytes > this.#maxBytes) return;
    if (this.#freeCount === 0 && (this.#draw() & this.#sampleMask) !== 0) return;
    const count = this.#pass(hash);
    if (++this.#bumps >= this.#period) this.#age();
    if (count < 2) return;
    // Callers offer only keys the hot set just missed; the look-up below guards the ring anyway,
    // and it comes after the victim is weighed, which turns most candidates away more cheaply.
    if (this.#freeCount === 0 || this.#bytes + bytes > this.#maxBytes) {
      // The member under the clock hand goes only for a key read more often than it (ties keep
      // it: churning on every read of a lukewarm key would cost more than it saves); either way
      // the hand moves on, so each member is weighed in turn.
      const hand = this.#hand;
      this.#hand = hand + 1 === this.#maxEntries ? 0 : hand + 1;
      const victim = this.#ring[hand];
      if (victim !== undefined) {
        if (this.#weigh(this.#hashes[hand]!) >= count || this.#members.has(key)) return;
        this.delete(victim);
      }
      if (this.#freeCount === 0 || this.#bytes + bytes > this.#maxBytes) return;
    } else if (this.#members.has(key)) {
      return;
    }
    const expiresAt = expiry(key);
    if (expiresAt < 0) return;
    const at = this.#free[--this.#freeCount]!;
    this.#ring[at] = key;
    this.#hashes[at] = hash;
    this.#members.set(key, {
      value,
      bytes,
      expiresAt,
      slot: at,
      hash,
      checked: removals,
      promise: undefined,
    });
    this.#bytes += bytes;
    this.#admitted++;
  }

  /** Drops `key` (written, deleted, invalidated or gone from the byte tier). */
  delete(key: string): void {
    const member = this.#members.get(key);
    if (member === undefined) return;
    this.#members.delete(key);
    this.#ring[member.slot] = undefined;
    this.#free[this.#freeCount++] = member.slot;
    this.#bytes -= member.bytes;
  }

  /** Drops every member and forgets every count. */
  clear(): void {
    for (const member of this.#members.values()) {
      this.#ring[member.slot] = undefined;
      this.#free[this.#freeCount++] = member.slot;
    }
    this.#members.clear();
    this.#bytes = 0;
    this.#counts.fill(0);
    this.#door.fill(0);
    this.#bumps = 0;
  }

  /** The next 8 random bits (the top ones of xorshift32): decides which reads a full set counts. */
  #draw(): number {
    let x = this.#random;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#random = x;
    // The top bits: xorshift's low bits are its weakest.
    return x >>> 24;
  }

  /**
   * Counts a read the byte tier answered, of the key with `hash`, and answers its estimated read
   * count: 1 for its first read (it only sets the key's doorkeeper bit), else 1 + the sketch's
   * estimate after the bump.
   */
  #pass(hash: number): number {
    const bit = Math.imul(hash, DOOR_MIX) >>> this.#doorShift;
    const door = this.#door;
    const word = door[bit >>> 5]!;
    const mask = 1 << (bit & 31);
    if ((word & mask) === 0) {
      door[bit >>> 5] = word | mask;
      return 1;
    }
    return 1 + this.#bump(hash);
  }

  /** A member's estimated read count as {@link #pass} counts: its doorkeeper bit + the sketch's estimate. */
  #weigh(hash: number): number {
    const bit = Math.imul(hash, DOOR_MIX) >>> this.#doorShift;
    return ((this.#door[bit >>> 5]! >>> (bit & 31)) & 1) + this.#estimate(hash);
  }

  /** The estimated read count of the key with `hash`: the lower of its two counters. */
  #estimate(hash: number): number {
    const counts = this.#counts;
    const i = hash & this.#countMask;
    const a = counts[i]!;
    const b = counts[(i & ~63) | ((hash >>> 24) & 63)]!;
    return Math.min(a, b);
  }

  /**
   * Counts a read of the key with `hash` and answers its new estimate. Only the counters at the
   * minimum rise (conservative update). The second counter is in the first one's 64-byte block,
   * picked by other bits of the hash: one cache line per read.
   */
  #bump(hash: number): number {
    const counts = this.#counts;
    const i = hash & this.#countMask;
    const j = (i & ~63) | ((hash >>> 24) & 63);
    const a = counts[i]!;
    const b = counts[j]!;
    let min = Math.min(a, b);
    if (min >= MAX_COUNT) return MAX_COUNT;
    min++;
    if (a < min) counts[i] = min;
    if (b < min) counts[j] = min;
    return min;
  }

  /** Halves every counter: popularity fades, so yesterday's hot keys give way to today's. */
  #age(): void {
    const counts = this.#counts;
    for (let i = 0; i < counts.length; i++) counts[i] = counts[i]! >>> 1;
    this.#door.fill(0);
    this.#bumps = 0;
  }
}
