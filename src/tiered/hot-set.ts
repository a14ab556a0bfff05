/**
 * The decoded hot set: the values of a cache's hottest keys, kept decoded (as JS values) beside
 * the byte tier, so a hit on them skips the codec. Bounded by entry count and by the encoded
 * bytes of its values; only keys the byte tier holds can be in it, and it never answers alone:
 * a hit checks that the byte tier still holds the key (an eviction or expiry there ends it
 * here), and every write, delete, bus invalidation and clear of the byte tier drops the key
 * here too.
 *
 * Admission is frequency-gated so a scan does not flush it: each read the byte tier answers
 * bumps a small counter for the key's hash (one byte per counter, halved every `8 * maxEntries`
 * bumps so old popularity fades); a key is admitted once its counter reaches 2, and when the set
 * is full only if it has been read more often than the oldest member, which it then replaces
(ties keep the member: churning the set on every read of a lukewarm key would cost more than
it saves). Only the
 * hot set's own members are heap objects; the rest of the cache stays in the store's arena.
 *
 * @module
 */
import { hashString } from '../memory/hash.ts';

/** Bounds of a hot set. */
export interface HotSetOptions {
  /** Most keys kept decoded. @default 1000 */
  maxEntries?: number;
  /** Most encoded bytes (the values' sizes in the byte tier) kept decoded, in bytes. @default 1 MiB */
  maxBytes?: number;
}

/** A hot set member: its value, encoded size and expiry (0: none; ms since the epoch). */
interface Member<V> {
  value: V;
  bytes: number;
  expiresAt: number;
}

/** {@link HotSet.get}'s answer for a key the hot set does not hold. */
export const NOT_HOT: unique symbol = Symbol('tiercache.not-hot');

/** Decoded values of the hottest keys, bounded by count and bytes. */
export class HotSet<V> {
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  /** Insertion order is the eviction order (oldest first). */
  readonly #members = new Map<string, Member<V>>();
  readonly #counts: Uint8Array;
  readonly #countMask: number;
  #bumps = 0;
  #bytes = 0;
  #hits = 0;
  #admitted = 0;

  constructor(options: HotSetOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 1000;
    this.#maxBytes = options.maxBytes ?? 2 ** 20;
    let size = 64;
    while (size < this.#maxEntries * 8) size *= 2;
    this.#counts = new Uint8Array(size);
    this.#countMask = size - 1;
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
   * The decoded value under `key`, or {@link NOT_HOT}. `now` is consulted only for members with
   * an expiry; one past it is dropped. The caller checks that the byte tier still holds the key.
   */
  get(key: string): V | typeof NOT_HOT {
    const member = this.#members.get(key);
    if (member === undefined) return NOT_HOT;
    if (member.expiresAt !== 0 && Date.now() >= member.expiresAt) {
      this.delete(key);
      return NOT_HOT;
    }
    this.#hits++;
    return member.value;
  }

  /**
   * A read the byte tier answered with `value` (`bytes` encoded, expiring at `expiresAt`, 0 for
   * never): counts it, and admits the key when it has become hot enough.
   */
  offer(key: string, value: V, bytes: number, expiresAt: number): void {
    if (bytes > this.#maxBytes) return;
    const counts = this.#counts;
    const slot = hashString(key) & this.#countMask;
    const count = counts[slot]!;
    if (count < 255) counts[slot] = count + 1;
    if (++this.#bumps >= counts.length) this.#age();
    if (count + 1 < 2) return;
    const members = this.#members;
    if (members.has(key)) return;
    while (members.size >= this.#maxEntries || this.#bytes + bytes > this.#maxBytes) {
      // The oldest member goes only for a key read more often than it (`count + 1` now).
      const oldest = members.keys().next();
      if (oldest.done) return;
      const victim = oldest.value;
      if ((counts[hashString(victim) & this.#countMask] ?? 0) >= count + 1) return;
      this.delete(victim);
    }
    members.set(key, { value, bytes, expiresAt });
    this.#bytes += bytes;
    this.#admitted++;
  }

  /** Drops `key` (written, deleted, invalidated or gone from the byte tier). */
  delete(key: string): void {
    const member = this.#members.get(key);
    if (member === undefined) return;
    this.#members.delete(key);
    this.#bytes -= member.bytes;
  }

  /** Drops every member and forgets every count. */
  clear(): void {
    this.#members.clear();
    this.#bytes = 0;
    this.#counts.fill(0);
    this.#bumps = 0;
  }

  /** Halves every counter: popularity fades, so yesterday's hot keys give way to today's. */
  #age(): void {
    const counts = this.#counts;
    for (let i = 0; i < counts.length; i++) counts[i] = counts[i]! >>> 1;
    this.#bumps = 0;
  }
}
