/**
 * The public MemoryStore: an in-process cache of byte values under string keys, held in
 * per-shard arenas of large Buffers with typed-array indexes, so the garbage collector has no
 * per-entry object to trace. Allocates on first use, stays under `maxBytes` and its budget,
 * reclaims overwritten space, expires entries, and registers itself for diagnostics.
 *
 * @module
 */
import { isAscii } from 'node:buffer';
import {
  EntryTooLargeError,
  InvalidArgumentError,
  StoreClosedError,
  WarningCodes,
} from '../errors.ts';
import { CHUNK_HEAP_BYTES } from './arena.ts';
import type { BudgetMember, MemoryBudget } from './budget.ts';
import { newCounters } from './counters.ts';
import { HEADER_BYTES, MAX_KEY_UNITS } from './entry-layout.ts';
import { hashString, hashStringWide, type KeyWidth } from './hash.ts';
import { BACKFILL } from './internal.ts';
import type { MemoryStoreOptions, ResolvedOptions } from './options.ts';
import { resolveOptions } from './options.ts';
import type { BudgetAccount, StoreRecord } from './registry.ts';
import { creationSite, registerStore, unregisterStore } from './registry.ts';
import { SET_NO_ROOM, SET_TOO_LARGE } from './set-outcomes.ts';
import type { Counters, EvictionPolicy, RemovalReason, ShardHost } from './shard.ts';
import { BATCH_ASCII_VALUE, BATCH_WIDE_KEY, SHARD_BASE_BYTES, Shard } from './shard.ts';
import { startSweeper } from './sweeper.ts';

/** Per-`set` options. */
export interface SetOptions {
  /** Lifetime of this entry in ms; 0 = none. @default the store's `ttlMs` */
  ttlMs?: number;
}

export { SET_NO_ROOM, SET_STORED, SET_TOO_LARGE } from './set-outcomes.ts';

/** A frozen snapshot of a store's counters since construction. */
export interface MemoryStoreStats {
  /** `get`/`getString` calls that found a live entry. */
  readonly hits: number;
  /** `get`/`getString` calls that found nothing (or only an expired entry). */
  readonly misses: number;
  /** Successful `set` calls. */
  readonly sets: number;
  /** `delete` calls that removed an entry. */
  readonly deletes: number;
  /** Live entries removed to make room (by the `eviction` policy). */
  readonly evictions: number;
  /** Entries removed because their time was up (on read, by the sweep or during reclaim). */
  readonly expirations: number;
  /** Index probes that met an entry with the same 32-bit hash but a different key. */
  readonly collisions: number;
  /**
   * `s3fifo` only: entries that were due for eviction but kept because they had been read (moved
   * from the small queue to main, or reinserted into main).
   */
  readonly reinserted: number;
  /** `s3fifo` only: new keys whose hash was in the ghost queue, so they went straight to main. */
  readonly ghostHits: number;
  /** Arena chunks the store holds (ranges of the process-wide slab pool). */
  readonly chunks: number;
  /**
   * Approximate JS heap bytes of the chunks' objects (a Chunk, its Buffer and three typed-array
   * views, `CHUNK_HEAP_BYTES` = 580 B each on Node 20): outside `reservedBytes`, inside the
   * store's real cost. A store of 8 MiB in 256 shards holds ~2,000 chunks, ~1.1 MiB of heap.
   */
  readonly chunkObjectBytes: number;
  /** `reservedBytes` plus `chunkObjectBytes`: what the store costs the process, in bytes. */
  readonly footprintBytes: number;
}

/**
 * The pieces of a store its shards, its budget and its registry record share; never references
 * the store, so a store dropped without `close()` is still collected.
 */
class StoreHost implements ShardHost, BudgetMember {
  readonly now: () => number;
  readonly counters: Counters = newCounters();
  readonly removals: [string, Buffer, RemovalReason][] | undefined;
  readonly account: BudgetAccount;
  readonly #shards: readonly (Shard | undefined)[];
  readonly #onRemove: MemoryStoreOptions['onRemove'];
  /** A dispatch of removals is queued as a microtask (after another store took memory). */
  #dispatchQueued = false;
  /** Membership of the budget (see `MemoryBudget.reclaimFor`), from the first reservation on. */
  #membership: WeakRef<BudgetMember> | undefined;

  constructor(
    shards: readonly (Shard | undefined)[],
    now: () => number,
    budget: MemoryBudget | null,
    onRemove: MemoryStoreOptions['onRemove'],
  ) {
    this.#shards = shards;
    this.now = now;
    this.account = { budget, bytes: 0 };
    this.#onRemove = onRemove;
    this.removals = onRemove !== undefined ? [] : undefined;
  }

  /** Bytes the store holds (its budget's view). */
  get reservedBytes(): number {
    return this.account.bytes;
  }

  reserve(bytes: number): boolean {
    const account = this.account;
    const budget = account.budget;
    // Refused by a full budget: take the memory from stores holding more than this one.
    if (budget === null) {
      account.bytes += bytes;
      return true;
    }
    // Joined on the first reservation, so empty stores (a store per room) cost the budget nothing.
    this.#membership ??= budget.join(this);
    if (
      !budget.tryReserve(bytes) &&
      !(budget.reclaimFor(this, bytes) && budget.tryReserve(bytes))
    ) {
      return false;
    }
    account.bytes += bytes;
    return true;
  }

  /** Stops giving memory back to other stores (the store is closing). */
  leaveBudget(): void {
    if (this.#membership === undefined) return;
    this.account.budget?.leave(this.#membership);
    this.#membership = undefined;
  }

  /**
   * Another store on the budget needs memory: the shard holding the most gives up a spare chunk
   * or its coldest one (the oldest chunk of the queue its policy evicts from). The `onRemove`
   * calls for the evicted entries run in a microtask, not inside the other store's call.
   */
  giveBack(): number {
    const victim = this.#largestShard(undefined);
    if (victim === undefined) return 0;
    const freed = victim.evictOldestChunk();
    if (this.removals !== undefined && this.removals.length > 0 && !this.#dispatchQueued) {
      this.#dispatchQueued = true;
      queueMicrotask(() => {
        this.#dispatchQueued = false;
        try {
          this.dispatchRemovals();
        } catch (error) {
          // No caller is waiting for this error: report it, as the background sweep does.
          const message = error instanceof Error ? error.message : String(error);
          process.emitWarning(
            `onRemove threw for entries evicted to make room for another store on the budget: ${message}`,
            { code: WarningCodes.ON_REMOVE_FAILED },
          );
        }
      });
    }
    return freed;
  }

  /**
   * Calls `onRemove` for every queued removal. Callbacks run after the store is consistent, so
   * they may use the store; a throwing callback does not stop the others, and the first error is
   * rethrown at the end.
   */
  dispatchRemovals(): void {
    const removals = this.removals;
    if (removals === undefined || removals.length === 0) return;
    const onRemove = this.#onRemove!;
    let failure: { error: unknown } | undefined;
    while (removals.length > 0) {
      for (const [key, value, reason] of removals.splice(0)) {
        try {
          onRemove(key, value, reason);
        } catch (error) {
          failure ??= { error };
        }
      }
    }
    if (failure !== undefined) throw failure.error;
  }

  /** The shard (other than `except`) holding the most chunk bytes, if any holds some. */
  #largestShard(except: Shard | undefined): Shard | undefined {
    let victim: Shard | undefined;
    for (const shard of this.#shards) {
      if (shard === undefined || shard === except || shard.chunkBytes === 0) continue;
      if (victim === undefined || shard.reservedBytes > victim.reservedBytes) victim = shard;
    }
    return victim;
  }

  release(bytes: number): void {
    const account = this.account;
    account.bytes -= bytes;
    account.budget?.release(bytes);
  }

  reclaim(bytes: number, requester: Shard | undefined): boolean {
    let freed = 0;
    while (freed < bytes) {
      // The shard holding the most gives up a chunk: a spare, or the oldest of the queue its
      // policy evicts from.
      const victim = this.#largestShard(requester);
      if (victim === undefined) break;
      freed += victim.evictOldestChunk();
    }
    return freed > 0;
  }
}

/**
 * A byte-bounded, lazily allocated in-process cache. Keys are any JS string; values are bytes
 * (`Uint8Array`) or strings (stored as UTF-8). Synchronous; not shared across threads.
 */
export class MemoryStore {
  /** The store's name, as given in the options. */
  readonly name: string;
  readonly #options: ResolvedOptions;
  readonly #host: StoreHost;
  readonly #record: StoreRecord;
  readonly #shards: (Shard | undefined)[];
  readonly #shardMask: number;
  readonly #hash: (key: string) => number;
  #closed = false;
  /** {@link clear} calls, counted in {@link removals} (a clear counts no deletes). */
  #clears = 0;

  constructor(options?: MemoryStoreOptions) {
    const resolved = resolveOptions(options);
    this.#options = resolved;
    this.name = resolved.name;
    this.#hash = resolved.hash;
    this.#shardMask = resolved.shards - 1;
    this.#shards = new Array<Shard | undefined>(resolved.shards).fill(undefined);
    this.#host = new StoreHost(this.#shards, resolved.now, resolved.budget, resolved.onRemove);
    this.#record = {
      name: resolved.name,
      maxBytes: resolved.maxBytes,
      createdAt: Date.now(),
      createdBy: creationSite(new.target),
      account: this.#host.account,
      ref: new WeakRef(this),
      timer: undefined,
    };
    registerStore(this, this.#record);
    if (resolved.initialBytes > 0) this.#preallocate(resolved.initialBytes);
  }

  /** Number of live entries (expired entries not yet purged are included until read or swept). */
  get size(): number {
    this.#assertOpen();
    let size = 0;
    for (const shard of this.#shards) if (shard !== undefined) size += shard.count;
    return size;
  }

  /** Bytes of live entries, headers included (each entry's 8-aligned slot). */
  get usedBytes(): number {
    this.#assertOpen();
    let bytes = 0;
    for (const shard of this.#shards) if (shard !== undefined) bytes += shard.liveBytes;
    return bytes;
  }

  /** Bytes the store holds: arena chunks, index tables and ghost queues. Never exceeds `maxBytes`. */
  get reservedBytes(): number {
    this.#assertOpen();
    return this.#host.account.bytes;
  }

  /** The hard cap on {@link reservedBytes}, in bytes. */
  get maxBytes(): number {
    return this.#options.maxBytes;
  }

  /** The largest entry (24-byte header + key + value) `set` accepts, in bytes. */
  get maxEntryBytes(): number {
    return this.#options.maxEntryBytes;
  }

  /** The eviction policy, `'s3fifo'` or `'fifo'`. */
  get eviction(): EvictionPolicy {
    return this.#options.eviction;
  }

  /** The budget this store draws on, or null. */
  get budget(): MemoryBudget | null {
    return this.#options.budget;
  }

  /** Whether {@link close} has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Stores `value` under `key`; returns true when stored, false when the store's bytes (or its
   * budget) could not make room even after evicting (any previous value under the key is then
   * gone). Throws `EntryTooLargeError` (store untouched) when header + key + value exceed
   * `maxEntryBytes`, `InvalidArgumentError` on a bad key, value or TTL.
   */
  set(key: string, value: Uint8Array | string, options?: SetOptions): boolean {
    this.#assertOpen();
    checkKey(key);
    let ttlMs = this.#options.ttlMs;
    if (options !== undefined) ttlMs = checkSetOptions(options) ?? ttlMs;
    let valueBytes: number;
    let ascii = false;
    if (typeof value === 'string') {
      // One native call gives both: UTF-8 length equals UTF-16 length only for ASCII text
      // (measured several times faster than a charCodeAt scan of a 100-char value).
      valueBytes = Buffer.byteLength(value, 'utf8');
      ascii = valueBytes === value.length;
    } else if (value instanceof Uint8Array) {
      valueBytes = value.byteLength;
    } else {
      throw new InvalidArgumentError(
        `MemoryStore "${this.name}": value must be a string or Uint8Array, got ${typeName(value)}`,
      );
    }
    const wide = hasWideUnit(key);
    const entryBytes = HEADER_BYTES + (wide ? key.length * 2 : key.length) + valueBytes;
    if (entryBytes > this.#options.maxEntryBytes) {
      throw new EntryTooLargeError(entryBytes, this.#options.maxEntryBytes);
    }
    const hash = this.#hash(key) | 0;
    const index = hash & this.#shardMask;
    const shard = this.#shards[index] ?? this.#createShard(index);
    if (shard === undefined) return false;
    let expiresAt = 0;
    if (ttlMs > 0) {
      expiresAt = this.#host.now() + ttlMs;
      if (this.#record.timer === undefined) this.#startSweeper();
    }
    const stored = shard.set(key, hash, wide, value, valueBytes, ascii, expiresAt);
    if (stored) this.#host.counters.sets++;
    this.#dispatchRemovals();
    return stored;
  }

  /**
   * Stores many entries at once, as many `set` calls would, but visiting each shard once: the
   * batch is grouped by shard, and a shard sizes its index and its next chunk for its whole share
   * before the first write (a new store's first fill does not grow them step by step). Byte
   * values are copied as they are (`Uint8Array` values that are ASCII are marked so, and read
   * back by `getString` as cheaply as an ASCII string). `ttlMs`: one lifetime for all, or one per
   * entry (0 = none); omitted, the store's `ttlMs`. An entry larger than `maxEntryBytes` is not
   * stored and its key's older value is dropped (as when there is no room), instead of throwing;
   * `outcomes`, when given, receives `SET_STORED`, `SET_NO_ROOM` or `SET_TOO_LARGE` per entry.
   * `starts`, when given, stores each `Uint8Array` value from byte `starts[i]` on (0 for a
   * string), copied without a sub-view: for values that sit behind a header in a reply buffer.
   * Returns how many entries were stored. Throws `InvalidArgumentError`, with nothing stored,
   * on a bad key, value, start or TTL anywhere in the batch.
   */
  setMany(
    keys: readonly string[],
    values: readonly (Uint8Array | string)[],
    ttlMs?: number | ArrayLike<number>,
    outcomes?: Uint8Array,
    starts?: ArrayLike<number>,
  ): number {
    this.#assertOpen();
    const n = keys.length;
    if (
      values.length !== n ||
      (outcomes !== undefined && outcomes.length < n) ||
      (starts !== undefined && starts.length < n)
    ) {
      throw new InvalidArgumentError(
        `MemoryStore "${this.name}": setMany needs as many values (and outcomes, starts) as keys, got ${n} keys, ${values.length} values`,
      );
    }
    if (typeof ttlMs === 'number' || ttlMs === undefined) {
      checkTtl(ttlMs ?? this.#options.ttlMs);
    } else if (ttlMs.length !== n) {
      throw new InvalidArgumentError(
        `MemoryStore "${this.name}": setMany needs one ttlMs per key, got ${ttlMs.length} for ${n} keys`,
      );
    }
    // Validated and measured before the first write: bad input stores nothing.
    const batch = this.#newBatch(n);
    const { hashes, sizes, flags, perShard, bytesPerShard } = batch;
    const maxEntryBytes = this.#options.maxEntryBytes;
    const hashOf = this.#hash;
    const mask = this.#shardMask;
    let anyTtl = false;
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      checkKey(key);
      const value = values[i];
      let valueBytes: number;
      let ascii: boolean;
      const start = starts === undefined ? 0 : starts[i]!;
      if (typeof value === 'string' && start === 0) {
        valueBytes = Buffer.byteLength(value, 'utf8');
        ascii = valueBytes === value.length;
      } else if (value instanceof Uint8Array) {
        if (!(start >= 0 && start <= value.byteLength && Number.isInteger(start))) {
          throw new InvalidArgumentError(
            `MemoryStore "${this.name}": setMany start ${String(start)} is not a byte offset into value ${i}`,
          );
        }
        valueBytes = value.byteLength - start;
        // The whole value's check: ASCII there means ASCII from `start` on (a non-ASCII header
        // only costs the fast latin1 read, never a wrong one).
        ascii = isAscii(value);
      } else if (typeof value === 'string') {
        throw new InvalidArgumentError(
          `MemoryStore "${this.name}": setMany start must be 0 for a string value (entry ${i})`,
        );
      } else {
        throw new InvalidArgumentError(
          `MemoryStore "${this.name}": value must be a string or Uint8Array, got ${typeName(value)} (entry ${i})`,
        );
      }
      if (typeof ttlMs === 'object') {
        const ttl = ttlMs[i]!;
        checkTtl(ttl);
        if (ttl > 0) anyTtl = true;
      }
      const wide = hasWideUnit(key);
      const entryBytes = HEADER_BYTES + (wide ? key.length * 2 : key.length) + valueBytes;
      const hash = hashOf(key) | 0;
      hashes[i] = hash;
      sizes[i] = valueBytes;
      flags[i] =
        (wide ? BATCH_WIDE_KEY : 0) |
        (ascii ? BATCH_ASCII_VALUE : 0) |
        (entryBytes > maxEntryBytes ? BATCH_TOO_LARGE : 0);
      if (entryBytes <= maxEntryBytes) {
        const shard = hash & mask;
        perShard[shard + 1]!++;
        bytesPerShard[shard] = bytesPerShard[shard]! + entryBytes;
      }
    }
    if (typeof ttlMs !== 'object' && (ttlMs ?? this.#options.ttlMs) > 0) anyTtl = true;
    if (anyTtl && this.#record.timer === undefined) this.#startSweeper();
    return this.#writeBatch(batch, n, keys, values, ttlMs ?? this.#options.ttlMs, starts, outcomes);
  }

  /**
   * {@link setMany} for a back-fill whose input the caller guarantees, internal to tiercache:
   * under a symbol key (`internal.ts`), reached only from the tiered cache's memory tier. Of the
   * first `count` entries, those with `ttlMs[i] >= 0` are written (the others are left out,
   * their outcome untouched); their keys are strings, their values bytes (a Redis reply's),
   * each stored from byte `starts[i]` on, their `ttlMs` finite. Of that, only the start is
   * checked per entry (one comparison: a start past the value's end throws
   * `InvalidArgumentError` before anything is written); the rest is not checked again, which is
   * most of what {@link setMany} costs besides the writes; a key too long to store is refused
   * as too large. `outcomes` (at least `count` long)
   * receives each written entry's outcome, as in {@link setMany}; returns how many were stored.
   * `ascii`, when given, is what the caller already knows of each value from `starts[i]` on: 1
   * all ASCII, 2 not, 0 unknown (then checked here): a caller that decoded the bytes as text
   * knows it for free (see the tiered `decodeEntryAt`), where a check per value is a native call.
   */
  [BACKFILL](
    keys: readonly string[],
    values: readonly Uint8Array[],
    starts: Uint8Array,
    ttlMs: Float64Array,
    count: number,
    outcomes: Uint8Array,
    ascii?: Uint8Array | null,
  ): number {
    this.#assertOpen();
    const batch = this.#newBatch(count);
    const { hashes, sizes, flags, perShard, bytesPerShard } = batch;
    const maxEntryBytes = this.#options.maxEntryBytes;
    const hashOf = this.#hash;
    // The store's own hash (not a test's) reads each key once for its hash and its width.
    const fused = hashOf === hashString;
    const width = keyWidth;
    const mask = this.#shardMask;
    let anyTtl = false;
    for (let i = 0; i < count; i++) {
      const ttl = ttlMs[i]!;
      if (!(ttl >= 0)) {
        flags[i] = BATCH_SKIP;
        continue;
      }
      const key = keys[i]!;
      const value = values[i]!;
      const valueBytes = value.byteLength - starts[i]!;
      if (valueBytes < 0) {
        throw new InvalidArgumentError(
          `MemoryStore "${this.name}": backfill start ${starts[i]!} is past the end of value ${i} (${value.byteLength} bytes)`,
        );
      }
      let hash: number;
      let wide: boolean;
      if (fused) {
        hash = hashStringWide(key, width);
        wide = width.wide;
      } else {
        hash = hashOf(key) | 0;
        wide = hasWideUnit(key);
      }
      const entryBytes = HEADER_BYTES + (wide ? key.length * 2 : key.length) + valueBytes;
      hashes[i] = hash;
      sizes[i] = valueBytes;
      if (entryBytes > maxEntryBytes || key.length > MAX_KEY_UNITS) {
        flags[i] = BATCH_TOO_LARGE;
        continue;
      }
      // Told by the caller (1 ASCII, 2 not), else checked; see setMany: ASCII over the whole
      // value means ASCII from `start` on.
      const told = ascii == null ? 0 : ascii[i]!;
      flags[i] =
        (wide ? BATCH_WIDE_KEY : 0) |
        (told === 1 || (told === 0 && isAscii(value)) ? BATCH_ASCII_VALUE : 0);
      if (ttl > 0) anyTtl = true;
      const shard = hash & mask;
      perShard[shard + 1]!++;
      bytesPerShard[shard] = bytesPerShard[shard]! + entryBytes;
    }
    if (anyTtl && this.#record.timer === undefined) this.#startSweeper();
    return this.#writeBatch(batch, count, keys, values, ttlMs, starts, outcomes);
  }

  /** The per-entry and per-shard arrays of a batch of `n` entries (see {@link #writeBatch}). */
  #newBatch(n: number): Batch {
    const shardCount = this.#shards.length;
    return {
      hashes: new Int32Array(n),
      sizes: new Int32Array(n),
      flags: new Uint8Array(n),
      perShard: new Int32Array(shardCount + 1),
      bytesPerShard: new Float64Array(shardCount),
    };
  }

  /**
   * The writes of a measured batch (`batch` filled for its first `n` entries): grouped by shard
   * (a counting sort), each shard readied once for its share, then written entry by entry; too
   * large entries drop their key's older value. Returns how many entries were stored.
   */
  #writeBatch(
    batch: Batch,
    n: number,
    keys: readonly string[],
    values: readonly (Uint8Array | string)[],
    ttlMs: number | ArrayLike<number>,
    starts: ArrayLike<number> | undefined,
    outcomes: Uint8Array | undefined,
  ): number {
    const { hashes, sizes, flags, perShard, bytesPerShard } = batch;
    const shardCount = this.#shards.length;
    const mask = this.#shardMask;
    // Counting sort by shard: `order` lists entry indexes shard by shard, in batch order.
    for (let s = 0; s < shardCount; s++) perShard[s + 1]! += perShard[s]!;
    const order = new Int32Array(perShard[shardCount]!);
    const next = perShard.slice(0, shardCount);
    let tooLarge = 0;
    for (let i = 0; i < n; i++) {
      const flag = flags[i]!;
      if ((flag & (BATCH_TOO_LARGE | BATCH_SKIP)) !== 0) {
        if ((flag & BATCH_TOO_LARGE) !== 0) tooLarge++;
        continue;
      }
      order[next[hashes[i]! & mask]!++] = i;
    }
    const now = this.#host.now();
    const counters = this.#host.counters;
    let stored = 0;
    try {
      for (let s = 0; s < shardCount; s++) {
        const from = perShard[s]!;
        const to = perShard[s + 1]!;
        if (from === to) continue;
        const shard = this.#shards[s] ?? this.#createShard(s);
        if (shard === undefined) {
          // No room for the shard itself: none of its entries is stored.
          if (outcomes !== undefined)
            for (let j = from; j < to; j++) outcomes[order[j]!] = SET_NO_ROOM;
          continue;
        }
        shard.prepare(to - from, bytesPerShard[s]!);
        const count = shard.setBatch(
          order,
          from,
          to,
          keys,
          hashes,
          values,
          sizes,
          flags,
          starts,
          ttlMs,
          now,
          outcomes,
        );
        stored += count;
        counters.sets += count;
      }
      if (tooLarge === 0) return stored;
      // Too large: not stored, and no older value may be served in its place. These deletes run
      // after the writes, so one must not remove what a later entry of the batch with the same
      // key wrote above: the last write of a key wins, as with one `set` per entry.
      const lastWritten = lastWrittenOfTooLarge(keys, flags, n);
      for (let i = 0; i < n; i++) {
        if ((flags[i]! & BATCH_TOO_LARGE) === 0) continue;
        if (outcomes !== undefined) outcomes[i] = SET_TOO_LARGE;
        if (lastWritten.get(keys[i]!)! > i) continue;
        const shardIndex = hashes[i]! & mask;
        const shard = this.#shards[shardIndex];
        if (shard === undefined) continue;
        if (shard.delete(keys[i]!, hashes[i]!)) counters.deletes++;
        if (shard.count === 0) this.#dropShard(shardIndex);
      }
    } finally {
      this.#dispatchRemovals();
    }
    return stored;
  }

  /** The value under `key` as a new Buffer the caller owns, or undefined. */
  get(key: string): Buffer | undefined {
    this.#assertOpen();
    checkKey(key);
    return this.#read(key, this.#hash(key) | 0);
  }

  /** The value under `key` decoded as UTF-8, or undefined. */
  getString(key: string): string | undefined {
    this.#assertOpen();
    checkKey(key);
    return this.#readString(key, this.#hash(key) | 0);
  }

  /**
   * The 32-bit hash the store files `key` under (its shard and index slot come from it), for a
   * caller that also needs a hash of the key: reading it back through {@link getHashed} or
   * {@link getStringHashed} then hashes the key once for both. Internal to tiercache.
   */
  hashOf(key: string): number {
    checkKey(key);
    return this.#hash(key) | 0;
  }

  /**
   * {@link get} for a key whose {@link hashOf} the caller already has. A hash that is not the
   * key's finds nothing (a miss), never another key's value. Internal to tiercache.
   */
  getHashed(key: string, hash: number): Buffer | undefined {
    this.#assertOpen();
    return this.#read(key, hash);
  }

  /** {@link getString} for a key whose {@link hashOf} the caller already has (see {@link getHashed}). */
  getStringHashed(key: string, hash: number): string | undefined {
    this.#assertOpen();
    return this.#readString(key, hash);
  }

  /** A read of a checked key by its hash: a copy of the value, counted as a hit or a miss. */
  #read(key: string, hash: number): Buffer | undefined {
    const shard = this.#shards[hash & this.#shardMask];
    if (shard === undefined) {
      this.#host.counters.misses++;
      return undefined;
    }
    const value = shard.get(key, hash);
    this.#dispatchRemovals();
    return value;
  }

  /** {@link #read}, decoding the value as UTF-8. */
  #readString(key: string, hash: number): string | undefined {
    const shard = this.#shards[hash & this.#shardMask];
    if (shard === undefined) {
      this.#host.counters.misses++;
      return undefined;
    }
    const value = shard.getString(key, hash);
    this.#dispatchRemovals();
    return value;
  }

  /**
   * Whether a live entry is under `key`, counted as a read exactly as `get` would count it (a hit
   * or a miss, and a read the eviction policy sees), without copying the value: for a caller that
   * keeps the decoded value elsewhere and must keep the entry as warm as its reads.
   */
  touch(key: string): boolean {
    this.#assertOpen();
    checkKey(key);
    const hash = this.#hash(key) | 0;
    const shard = this.#shards[hash & this.#shardMask];
    if (shard === undefined) {
      this.#host.counters.misses++;
      return false;
    }
    const found = shard.touch(key, hash);
    this.#dispatchRemovals();
    return found;
  }

  /**
   * The expiry of the live entry under `key` (ms since the epoch, on the store's clock; 0 = none),
   * or -1 when there is none. Counts nothing and does not tell the eviction policy.
   */
  expiryOf(key: string): number {
    this.#assertOpen();
    checkKey(key);
    const hash = this.#hash(key) | 0;
    const shard = this.#shards[hash & this.#shardMask];
    if (shard === undefined) return -1;
    const expiry = shard.expiryOf(key, hash);
    this.#dispatchRemovals();
    return expiry;
  }

  /** The store's clock (its `now` option), on which entry expiries are measured. */
  get now(): () => number {
    return this.#options.now;
  }

  /**
   * Entries removed since construction, for any reason (deleted, evicted, expired, cleared). While
   * it has not changed, every entry seen before is still stored (though it may be past its
   * expiry): a caller keeping copies of entries can skip looking them up again.
   */
  get removals(): number {
    const counters = this.#host.counters;
    return counters.deletes + counters.evictions + counters.expirations + this.#clears;
  }

  /** Whether a live entry exists under `key` (does not count as a hit or miss). */
  has(key: string): boolean {
    this.#assertOpen();
    checkKey(key);
    const hash = this.#hash(key) | 0;
    const shard = this.#shards[hash & this.#shardMask];
    if (shard === undefined) return false;
    const found = shard.has(key, hash);
    this.#dispatchRemovals();
    return found;
  }

  /** Removes `key`; returns whether a live entry was removed (`onRemove` reason `'deleted'`). */
  delete(key: string): boolean {
    this.#assertOpen();
    checkKey(key);
    const hash = this.#hash(key) | 0;
    const index = hash & this.#shardMask;
    const shard = this.#shards[index];
    if (shard === undefined) return false;
    const deleted = shard.delete(key, hash);
    if (deleted) this.#host.counters.deletes++;
    if (shard.count === 0) this.#dropShard(index);
    this.#dispatchRemovals();
    return deleted;
  }

  /** Removes every entry (`onRemove` reason `'deleted'`) and releases all memory. */
  clear(): void {
    this.#assertOpen();
    this.#clears++;
    for (let i = 0; i < this.#shards.length; i++) {
      const shard = this.#shards[i];
      if (shard === undefined) continue;
      shard.queueAll('deleted');
      this.#dropShard(i);
    }
    this.#dispatchRemovals();
  }

  /** Removes expired entries now (the sweep calls this); returns how many were removed. */
  purgeExpired(): number {
    this.#assertOpen();
    const before = this.#host.counters.expirations;
    const now = this.#host.now();
    for (let i = 0; i < this.#shards.length; i++) {
      const shard = this.#shards[i];
      if (shard === undefined) continue;
      shard.sweep(now);
      if (shard.count === 0) this.#dropShard(i);
    }
    this.#dispatchRemovals();
    return this.#host.counters.expirations - before;
  }

  /** Releases all memory and budget, stops the sweep; any later use throws `StoreClosedError`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (let i = 0; i < this.#shards.length; i++) this.#dropShard(i);
    this.#host.removals?.splice(0);
    this.#host.leaveBudget();
    unregisterStore(this.#record);
  }

  /** A frozen snapshot of the counters. */
  stats(): MemoryStoreStats {
    this.#assertOpen();
    let chunks = 0;
    for (const shard of this.#shards) if (shard !== undefined) chunks += shard.chunkCount;
    const chunkObjectBytes = chunks * CHUNK_HEAP_BYTES;
    return Object.freeze({
      ...this.#host.counters,
      chunks,
      chunkObjectBytes,
      footprintBytes: this.#host.account.bytes + chunkObjectBytes,
    });
  }

  /**
   * Iterates the live keys, shard by shard, oldest first within a shard. Each shard's keys are
   * snapshotted when the iteration reaches it; keys removed before they are yielded are skipped.
   */
  *keys(): IterableIterator<string> {
    for (const [key] of this.#walk(false)) yield key;
  }

  /** Iterates `[key, value]` pairs like {@link keys}; each value is a new Buffer. */
  *entries(): IterableIterator<[string, Buffer]> {
    for (const [key, value] of this.#walk(true)) yield [key, value!];
  }

  /** Iterates `[key, value]` pairs, like {@link entries}. */
  [Symbol.iterator](): IterableIterator<[string, Buffer]> {
    return this.entries();
  }

  *#walk(withValues: boolean): Generator<[string, Buffer | undefined]> {
    for (let i = 0; i < this.#shards.length; i++) {
      // Checked per shard too: after close() every shard is gone, which must not end quietly.
      this.#assertOpen();
      const keys = this.#shards[i]?.keys();
      if (keys === undefined) continue;
      for (const key of keys) {
        this.#assertOpen();
        const hash = this.#hash(key) | 0;
        const shard = this.#shards[hash & this.#shardMask];
        const live = shard?.has(key, hash) === true;
        // Read without counting a hit or a read: iteration is not a cache lookup.
        const value = live && withValues ? shard?.peek(key, hash) : undefined;
        // An entry that expired since the snapshot was removed just now: report it.
        this.#dispatchRemovals();
        if (live) yield [key, value];
      }
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError(this.name);
  }

  #createShard(index: number): Shard | undefined {
    const host = this.#host;
    if (!host.reserve(SHARD_BASE_BYTES)) {
      if (!host.reclaim(SHARD_BASE_BYTES, undefined) || !host.reserve(SHARD_BASE_BYTES))
        return undefined;
    }
    const { shardLimit, chunkBytes, maxChunkBytes, policy } = this.#options;
    const shard = new Shard(this.#host, shardLimit, chunkBytes, maxChunkBytes, policy);
    if (!shard.start()) {
      shard.dispose();
      return undefined;
    }
    this.#shards[index] = shard;
    return shard;
  }

  #dropShard(index: number): void {
    const shard = this.#shards[index];
    if (shard === undefined) return;
    this.#shards[index] = undefined;
    shard.dispose();
  }

  #preallocate(bytes: number): void {
    const perShard = Math.floor(bytes / this.#shards.length);
    for (let i = 0; i < this.#shards.length; i++) {
      const shard = this.#shards[i] ?? this.#createShard(i);
      if (shard === undefined) return;
      shard.preallocate(perShard - SHARD_BASE_BYTES, this.#options.chunkBytes);
    }
  }

  #startSweeper(): void {
    const interval = this.#options.sweepIntervalMs;
    if (interval > 0)
      this.#record.timer = startSweeper(this.#record.ref as WeakRef<MemoryStore>, interval);
  }

  #dispatchRemovals(): void {
    const removals = this.#host.removals;
    if (removals !== undefined && removals.length > 0) this.#host.dispatchRemovals();
  }
}

/** Where `hashStringWide` leaves a key's width (one per process: the store is synchronous). */
const keyWidth: KeyWidth = { wide: false };

// A batch entry's flags: the shard's own (`BATCH_WIDE_KEY` 1, `BATCH_ASCII_VALUE` 2, read by
// `Shard.setBatch`), and these two, which only the store reads (an entry carrying either never
// reaches a shard). Their bits (4, 8) must stay clear of the shard's.
/** A batch entry's flag: larger than `maxEntryBytes` (or its key too long): not stored. */
const BATCH_TOO_LARGE = 4;
/** A batch entry's flag: left out of the batch (a back-fill's entry not to write). */
const BATCH_SKIP = 8;

/**
 * For each key of a batch's too large entries, the last position at which the batch wrote that
 * key (an entry neither too large nor left out), or -1 when it did not write it. Two passes, and
 * a Map only as large as the too large entries: they are rare.
 */
function lastWrittenOfTooLarge(
  keys: readonly string[],
  flags: Uint8Array,
  n: number,
): Map<string, number> {
  const last = new Map<string, number>();
  for (let i = 0; i < n; i++) if ((flags[i]! & BATCH_TOO_LARGE) !== 0) last.set(keys[i]!, -1);
  for (let i = 0; i < n; i++) {
    if ((flags[i]! & (BATCH_TOO_LARGE | BATCH_SKIP)) !== 0) continue;
    const key = keys[i]!;
    if (last.has(key)) last.set(key, i);
  }
  return last;
}

/** A batch being written (see `MemoryStore.#writeBatch`): per entry, then per shard. */
interface Batch {
  hashes: Int32Array;
  sizes: Int32Array;
  /** Per entry: `BATCH_WIDE_KEY`, `BATCH_ASCII_VALUE`, {@link BATCH_TOO_LARGE}, {@link BATCH_SKIP}. */
  flags: Uint8Array;
  /** Entries per shard, at `shard + 1` (a prefix sum once sorted). */
  perShard: Int32Array;
  bytesPerShard: Float64Array;
}

function checkKey(key: unknown): void {
  if (typeof key !== 'string') {
    throw new InvalidArgumentError(`key must be a string, got ${typeName(key)}`);
  }
  if (key.length > MAX_KEY_UNITS) {
    throw new InvalidArgumentError(
      `key is ${key.length} UTF-16 code units long; at most ${MAX_KEY_UNITS} are supported`,
    );
  }
}

function checkTtl(ttlMs: unknown): void {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new InvalidArgumentError(`ttlMs must be a finite number >= 0 (ms), got ${String(ttlMs)}`);
  }
}

function checkSetOptions(options: unknown): number | undefined {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`set options must be an object, got ${typeName(options)}`);
  }
  const ttlMs = (options as SetOptions).ttlMs;
  if (ttlMs === undefined) return undefined;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new InvalidArgumentError(`ttlMs must be a finite number >= 0 (ms), got ${String(ttlMs)}`);
  }
  return ttlMs;
}

function hasWideUnit(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return true;
  return false;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}
