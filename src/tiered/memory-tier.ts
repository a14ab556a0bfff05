/**
 * The memory tier, as `RedisTier` is the Redis one: a TieredCache's entries in a `MemoryStore`
 * (its own, or a slice of a shared one under the cache's prefix), read back through the codec
 * without a result object per hit. It owns what only memory has: the epoch that keeps reads
 * started before a clear out of memory, the prefix of a shared store, and closing an owned store.
 *
 * With grace periods (`graceMs` or `refreshAheadMs`) the tier is "timed": an entry with a
 * lifetime is stored behind its logical expiry (the envelope's expiry header) and kept by the
 * store `graceMs` longer. A read past the logical expiry is a miss, but the bytes stay where they
 * are, and {@link MemoryTier.readStale} can still serve them when the loader or Redis fails: the
 * stale copy costs no heap object, only the store's bytes for `graceMs` more.
 *
 * @module
 */
import { EntryTooLargeError } from '../errors.ts';
import { HEADER_BYTES } from '../memory/entry-layout.ts';
import { type MemoryStore, SET_TOO_LARGE } from '../memory/index.ts';
import { BACKFILL } from '../memory/internal.ts';
import type { Codec } from './codecs.ts';
import {
  decodeEntry,
  decodeEntryText,
  ENTRY_CORRUPT,
  ENTRY_MISSING,
  type EntryFault,
  entryByteLength,
  NO_EXPIRY,
  readExpiry,
  SOURCE_EXPIRY,
  withExpiry,
  withoutAnyExpiry,
} from './envelope.ts';
import { HotSet, type HotSetOptions, NOT_HOT } from './hot-set.ts';
import type { RawEntry } from './redis-tier.ts';

/** {@link MemoryTier.read}'s answer for a key memory does not hold (a decoded value may be `undefined`). */
export const ABSENT: unique symbol = Symbol('tiercache.absent');

/** What {@link MemoryTier.read} answers: a value, a marker, or {@link ABSENT}. */
export type MemoryRead<V> = V | typeof ENTRY_MISSING | typeof ENTRY_CORRUPT | typeof ABSENT;

/** Settings of a {@link MemoryTier}. */
export interface MemoryTierOptions<V> {
  store: MemoryStore;
  /** True when the cache created the store: it is then the cache's alone (no prefix) and closed with it. */
  owned: boolean;
  /** The cache's key prefix (`<name>:`), used in a shared store. */
  prefix: string;
  codec: Codec<V>;
  /** How long the store keeps an entry past its logical expiry, in ms. @default 0 */
  graceMs?: number;
  /** A hit on an entry this close to its source's expiry sets {@link MemoryTier.refreshDue}, in ms. @default 0 */
  refreshAheadMs?: number;
  /** Keep the hottest keys decoded (see `HotSet`); null for none. @default null */
  hotSet?: HotSetOptions | null;
}

/** A TieredCache's entries in a MemoryStore. */
export class MemoryTier<V> {
  /** The store, shared or owned. */
  readonly store: MemoryStore;
  /** Where a corrupt entry's error lands (see `decodeEntry`): one per tier, not one per read. */
  readonly fault: EntryFault = { error: undefined };
  readonly #owned: boolean;
  readonly #cachePrefix: string;
  /**
   * Prefix of keys in the store: the cache's prefix in a shared store, none in a store it owns.
   * Why: a prefixed key is a fresh concatenated string, and hashing and comparing it costs the
   * store more than the rest of a hit (measured ≈ 1.0 µs vs 0.37 µs per getString).
   */
  readonly #prefix: string;
  readonly #codec: Codec<V>;
  readonly #decodeText: ((text: string) => V) | null;
  /** Entries carry their logical expiry (grace periods or refresh-ahead are on). */
  readonly #timed: boolean;
  readonly #graceMs: number;
  readonly #refreshAheadMs: number;
  /** Where {@link readExpiry} leaves the expiry it parsed: one per tier, not one per read. */
  readonly #expiry = { at: 0 };
  /**
   * Set by a read that found its entry close to its source's expiry (`refreshAheadMs`): the
   * caller starts a background reload and clears the flag. Never set when the tier is not timed.
   */
  refreshDue = false;
  /** The decoded hot set, or null when off. */
  readonly hot: HotSet<V> | null;
  /** Whether the store still holds `key`, counted as its read (for the hot set). */
  readonly #inStore = (key: string): boolean => this.store.touch(this.#prefix + key);
  /** The store's expiry of `key`'s entry (for the hot set). */
  readonly #storeExpiry = (key: string): number => this.store.expiryOf(this.#prefix + key);
  #epoch = 0;
  #sets = 0;
  #closed = false;

  constructor(options: MemoryTierOptions<V>) {
    this.store = options.store;
    this.#owned = options.owned;
    this.#cachePrefix = options.prefix;
    this.#prefix = options.owned ? '' : options.prefix;
    this.#codec = options.codec;
    this.#decodeText = options.codec.decodeText?.bind(options.codec) ?? null;
    this.#graceMs = options.graceMs ?? 0;
    this.#refreshAheadMs = options.refreshAheadMs ?? 0;
    this.#timed = this.#graceMs > 0 || this.#refreshAheadMs > 0;
    this.hot = options.hotSet ? new HotSet<V>(options.hotSet, options.store.now) : null;
  }

  /**
   * Bumped by {@link clear} (memory was dropped because invalidations may have been missed): a
   * fetch that started before then must not back-fill memory.
   */
  get epoch(): number {
    return this.#epoch;
  }

  /** Entries written (a write the store had no room for is not counted). */
  get sets(): number {
    return this.#sets;
  }

  /** The largest entry the store takes, in bytes (header + key + value). */
  get maxEntryBytes(): number {
    return this.store.maxEntryBytes;
  }

  /**
   * The value for `key`, a marker (`ENTRY_MISSING`, `ENTRY_CORRUPT` with the error in
   * {@link fault}), or `ABSENT`. Hot path: with a text codec the store decodes straight to a
   * string (no Buffer copy); otherwise one Buffer copy, then the codec.
   */
  read(key: string): MemoryRead<V> {
    if (this.hot !== null) return this.#readHot(key, this.hot);
    if (this.#timed) return this.#readTimed(key, false);
    const memoryKey = this.#prefix + key;
    const decodeText = this.#decodeText;
    if (decodeText !== null) {
      const text = this.store.getString(memoryKey);
      return text === undefined
        ? ABSENT
        : decodeEntryText(this.#codec, decodeText, text, this.fault);
    }
    const bytes = this.store.get(memoryKey);
    return bytes === undefined ? ABSENT : decodeEntry(this.#codec, bytes, this.fault);
  }

  /**
   * {@link read} through the hot set: a member answers while the store has removed nothing since
   * it was last seen there, or once a look-up (counted as the store's read) finds it still there;
   * otherwise the store's bytes are decoded and offered to the hot set.
   */
  #readHot(key: string, hot: HotSet<V>): MemoryRead<V> {
    const value = hot.get(key, this.store.removals, this.#inStore);
    if (value !== NOT_HOT) return value;
    return this.#readStore(key, hot);
  }

  /**
   * A hit in the hot set as a resolved promise (one per member, shared by its hits), or
   * `undefined` when there is no hot set or it does not hold `key`: then {@link readPastHot}
   * reads the store without looking in the hot set again.
   */
  hotHit(key: string): Promise<V> | undefined {
    const hot = this.hot;
    return hot === null ? undefined : hot.resolved(key, this.store.removals, this.#inStore);
  }

  /** {@link read} for a key {@link hotHit} just missed: the store's bytes, offered to the hot set. */
  readPastHot(key: string): MemoryRead<V> {
    const hot = this.hot;
    return hot === null ? this.read(key) : this.#readStore(key, hot);
  }

  /** {@link read} from the store, the decoded value offered to the hot set. */
  #readStore(key: string, hot: HotSet<V>): MemoryRead<V> {
    const store = this.store;
    const memoryKey = this.#prefix + key;
    const decodeText = this.#decodeText;
    // One hash of the key for both the store's look-up and the hot set's count of the read.
    const hash = store.hashOf(memoryKey);
    const raw =
      decodeText !== null
        ? store.getStringHashed(memoryKey, hash)
        : store.getHashed(memoryKey, hash);
    if (raw === undefined) return ABSENT;
    let entry: RawEntry = raw;
    let expiresAt = 0;
    if (this.#timed) {
      const kind = readExpiry(raw, this.#expiry);
      if (kind !== NO_EXPIRY) {
        const left = this.#expiry.at - Date.now();
        if (!(left > 0)) return ABSENT;
        if (kind === SOURCE_EXPIRY && left < this.#refreshAheadMs) this.refreshDue = true;
        // A member leaves the hot set before refresh-ahead is due, so the tier sees that read.
        expiresAt = this.#expiry.at - (kind === SOURCE_EXPIRY ? this.#refreshAheadMs : 0);
        entry = withoutAnyExpiry(raw);
      }
    }
    const decoded =
      typeof entry === 'string'
        ? decodeEntryText(this.#codec, decodeText!, entry, this.fault)
        : decodeEntry(this.#codec, entry, this.fault);
    if (decoded !== ENTRY_MISSING && decoded !== ENTRY_CORRUPT) {
      hot.offer(
        key,
        decoded,
        entry.length,
        store.removals,
        expiresAt === 0 ? this.#storeExpiry : () => expiresAt,
        hash,
      );
    }
    return decoded;
  }

  /**
   * What memory still holds for `key` past its logical expiry (within `graceMs`, which the store
   * enforces), as {@link read} answers: for serving a stale value when the loader or Redis fails.
   */
  readStale(key: string): MemoryRead<V> {
    return this.#timed ? this.#readTimed(key, true) : ABSENT;
  }

  /** {@link read} of an entry that may carry its logical expiry; past it, ABSENT unless `stale`. */
  #readTimed(key: string, stale: boolean): MemoryRead<V> {
    const memoryKey = this.#prefix + key;
    const decodeText = this.#decodeText;
    const raw = decodeText !== null ? this.store.getString(memoryKey) : this.store.get(memoryKey);
    if (raw === undefined) return ABSENT;
    const kind = readExpiry(raw, this.#expiry);
    if (kind !== NO_EXPIRY && !stale) {
      const left = this.#expiry.at - Date.now();
      if (!(left > 0)) return ABSENT;
      if (kind === SOURCE_EXPIRY && left < this.#refreshAheadMs) this.refreshDue = true;
    }
    const entry = kind === NO_EXPIRY ? raw : withoutAnyExpiry(raw);
    return typeof entry === 'string'
      ? decodeEntryText(this.#codec, decodeText!, entry, this.fault)
      : decodeEntry(this.#codec, entry, this.fault);
  }

  /** Bytes the store would need for `entry` under `key` (header + key + value, as it counts). */
  entryBytes(key: string, entry: RawEntry): number {
    const memoryKey = this.#prefix + key;
    let wide = false;
    for (let i = 0; i < memoryKey.length && !wide; i++) wide = memoryKey.charCodeAt(i) > 0xff;
    const header = this.#timed ? 10 : 0;
    return HEADER_BYTES + memoryKey.length * (wide ? 2 : 1) + header + entryByteLength(entry);
  }

  /**
   * Stores an entry for `ttlMs` (0 = no expiry). An entry larger than the store's
   * `maxEntryBytes` is not stored, and any older value under the key is dropped so it is not
   * served in its place; the store's `EntryTooLargeError` is returned for the caller to report.
   * In a timed tier the entry carries its logical expiry and stays `graceMs` longer (unless
   * `grace` is false, as for negative entries); `atSource` says its expiry is its source's.
   */
  set(
    key: string,
    entry: RawEntry,
    ttlMs: number,
    atSource = false,
    grace = true,
  ): EntryTooLargeError | undefined {
    if (this.#closed) return undefined;
    this.hot?.delete(key);
    const memoryKey = this.#prefix + key;
    let stored = entry;
    let storeTtl = ttlMs;
    if (this.#timed && ttlMs > 0) {
      stored = withExpiry(entry, Date.now() + ttlMs, atSource);
      if (grace) storeTtl = Math.min(ttlMs + this.#graceMs, 2 ** 31 - 1);
    }
    try {
      // false: no room even after eviction (the store dropped any older value under the key).
      if (this.store.set(memoryKey, stored, { ttlMs: storeTtl })) this.#sets++;
    } catch (error) {
      if (!(error instanceof EntryTooLargeError)) throw error;
      this.store.delete(memoryKey);
      return error;
    }
    return undefined;
  }

  /**
   * Stores a batch of entries (a back-fill from Redis), as {@link set} would one by one: in a
   * plain tier one `MemoryStore[BACKFILL]` (each shard visited once, the bytes copied as Redis
   * sent them); in a timed tier entry by entry, since each carries its own expiry header. The
   * arrays are aligned with `keys`: key `i`'s entry is `entries[i]` from byte `starts[i]` on (a
   * Redis reply behind its expiry header, copied into the store in place), kept for `ttlMs[i]`;
   * a key whose `ttlMs[i]` is negative is left out (the caller calls with at least one key
   * that is not). `ascii`, when given,
   * tells per key whether its entry is ASCII as the store's back-fill takes it. `atSource` and
   * `grace` are per key, as for {@link set} (null: all false / all true). Calls
   * `tooLarge(key, error)` for each entry the store refused for its size (its older value is
   * dropped). `prefixedKeys` are `keys` with the cache's prefix (the Redis keys the entries were
   * read under): a shared store is given those strings rather than new concatenations, which
   * it would hash and compare more slowly (see {@link MemoryTier.#prefix}).
   */
  setMany(
    keys: readonly string[],
    prefixedKeys: readonly string[],
    entries: readonly Buffer[],
    starts: Uint8Array,
    ttlMs: Float64Array,
    ascii: Uint8Array | null,
    atSource: Uint8Array | null,
    grace: Uint8Array | null,
    tooLarge: (key: string, error: EntryTooLargeError) => void,
  ): void {
    if (this.#closed) return;
    const n = keys.length;
    const hot = this.hot;
    if (hot !== null) for (let i = 0; i < n; i++) if (ttlMs[i]! >= 0) hot.delete(keys[i]!);
    if (this.#timed) {
      for (let i = 0; i < n; i++) {
        if (!(ttlMs[i]! >= 0)) continue;
        const refused = this.set(
          keys[i]!,
          entryAt(entries[i]!, starts[i]!),
          ttlMs[i]!,
          atSource !== null && atSource[i] === 1,
          grace === null || grace[i] === 1,
        );
        if (refused !== undefined) tooLarge(keys[i]!, refused);
      }
      return;
    }
    const memoryKeys = this.#prefix === '' ? keys : prefixedKeys;
    const outcomes = new Uint8Array(n);
    // The entries are Redis's bytes, their keys checked by the cache: the store's trusted batch.
    this.#sets += this.store[BACKFILL](memoryKeys, entries, starts, ttlMs, n, outcomes, ascii);
    for (let i = 0; i < n; i++) {
      if (outcomes[i] !== SET_TOO_LARGE) continue;
      const key = keys[i]!;
      const bytes = this.entryBytes(key, entryAt(entries[i]!, starts[i]!));
      tooLarge(key, new EntryTooLargeError(bytes, this.maxEntryBytes));
    }
  }

  /** Drops `key`. */
  delete(key: string): void {
    if (this.#closed) return;
    this.hot?.delete(key);
    this.store.delete(this.#prefix + key);
  }

  /** Drops the cache's entries: all of an owned store, the cache's prefix of a shared one. */
  clear(): void {
    if (this.#closed) return;
    this.#epoch++;
    this.hot?.clear();
    if (this.#owned) {
      this.store.clear();
      return;
    }
    const mine: string[] = [];
    for (const key of this.store.keys()) if (key.startsWith(this.#cachePrefix)) mine.push(key);
    for (const key of mine) this.store.delete(key);
  }

  /** Stops using the store, and closes it when the cache owns it. */
  close(): void {
    this.#closed = true;
    this.hot?.clear();
    if (this.#owned) this.store.close();
  }
}

/** The entry in `raw` from byte `start` on (a view; `raw` itself when `start` is 0). */
function entryAt(raw: RawEntry, start: number): RawEntry {
  return start === 0 ? raw : typeof raw === 'string' ? raw.slice(start) : raw.subarray(start);
}
