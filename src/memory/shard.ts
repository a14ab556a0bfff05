/**
 * One shard of a MemoryStore: an {@link IndexTable} over an {@link Arena} of chunks, with expiry
 * and reclaim, under a byte limit that covers its chunks, its index and its policy's arrays.
 * Which entries leave when it is full is its eviction {@link Policy}'s decision (`policy.ts`
 * states the contract; `fifo-policy.ts`, `s3fifo-policy.ts`); how entries are laid out in a
 * chunk is `entry-codec.ts`'s.
 *
 * Entries are appended to the head chunk of one of the policy's chunk queues. Reclaim (see
 * docs/memory-store.md): when a queue's head chunk is full and a third of the arena is free, or
 * no chunk can be added, the shard cleans the oldest chunk of a queue. Dead and expired slots are
 * dropped; live entries are relocated, first into the free tail of the queue's head chunk, the
 * rest compacted to the front of the cleaned chunk, which then becomes the head. Only when the
 * shard is truly full (free bytes below the entry plus 1/16 of the arena) does it ask the policy
 * to evict.
 *
 * @module
 */
import { Arena, type Chunk, MIN_CHUNK_BYTES } from './arena.ts';
import type { ChunkQueue } from './chunk-queue.ts';
import type { Counters } from './counters.ts';
import {
  copyValue,
  keyEquals,
  keyInfo,
  readKey,
  readValueString,
  rewriteValue,
  writeEntry,
} from './entry-codec.ts';
import {
  ENTRY_ALIGN,
  EXPIRES_DOUBLE,
  FLAG_DEAD,
  HASH_WORD,
  KEY_INFO_WORD,
  POLICY_MASK,
  SLOT_WORD,
  slotBytes,
} from './entry-layout.ts';
import { IndexTable, MIN_CAPACITY } from './index-table.ts';
import {
  type CleanMode,
  EVICT,
  type Policy,
  type PolicyFactory,
  type PolicyHost,
  RELOCATE,
} from './policy.ts';
import { SET_NO_ROOM, SET_STORED } from './set-outcomes.ts';

export type { Counters } from './counters.ts';
export type { EvictionPolicy } from './policies.ts';

/** Why an entry left the store, as passed to `onRemove`. */
export type RemovalReason = 'expired' | 'evicted' | 'deleted';

/** What a shard needs from its store. */
export interface ShardHost {
  /** The store's clock, in ms. */
  readonly now: () => number;
  /** The store's counters. */
  readonly counters: Counters;
  /** Present when the store has an `onRemove` callback: removed entries are queued here. */
  readonly removals: [key: string, value: Buffer, reason: RemovalReason][] | undefined;
  /** Reserves bytes from the store (and its budget); false when they are not available. */
  reserve(bytes: number): boolean;
  /** Returns bytes reserved earlier. */
  release(bytes: number): void;
  /**
   * The budget refused `bytes` and `requester` has nothing of its own left to evict: evict the
   * oldest chunks of the store's other shards so the store can grow where it needs to. Returns
   * whether anything was freed.
   */
  reclaim(bytes: number, requester: Shard | undefined): boolean;
}

/** {@link Shard.setBatch}'s probe result for "not probed" (the index is due to grow first). */
const FOUND_NONE = Number.MIN_SAFE_INTEGER;

/** {@link Shard.setBatch}'s entry flag: the key has a code unit >= 256 (stored as UTF-16). */
export const BATCH_WIDE_KEY = 1;
/** {@link Shard.setBatch}'s entry flag: the value is ASCII. */
export const BATCH_ASCII_VALUE = 2;

/** Bytes a new shard reserves up front: its smallest index table. */
export const SHARD_BASE_BYTES = IndexTable.bytesFor(MIN_CAPACITY);

/**
 * One shard: index, arena, expiry and reclaim, with an eviction policy. Its {@link PolicyHost}
 * members (`clean`, `evictAt`, `tryReserve`, ...) are for that policy only.
 */
export class Shard implements PolicyHost {
  readonly #host: ShardHost;
  readonly #limit: number;
  readonly #arena: Arena;
  readonly #policy: Policy;
  /** The size chunks grow to (see `Arena`), the most {@link prepare} adds at once. */
  readonly #chunkBytes: number;
  /** Empty chunks in no queue (preallocated, or emptied while making room), used before growing. */
  readonly #spares: Chunk[] = [];
  #table = new IndexTable(MIN_CAPACITY);
  #reserved = SHARD_BASE_BYTES;
  #liveBytes = 0;
  /** False when no live entry has an expiry, so the sweep can skip this shard. */
  #mayExpire = false;
  // Result registers of #find, so a lookup returns chunk and offset without allocating.
  #foundChunk: Chunk | undefined;
  #foundOffset = 0;

  /**
   * `limit` caps the shard's chunks plus index (and policy arrays), in bytes. The caller has
   * already reserved {@link SHARD_BASE_BYTES} for it.
   */
  constructor(
    host: ShardHost,
    limit: number,
    chunkBytes: number,
    maxChunkBytes: number,
    policy: PolicyFactory,
  ) {
    this.#host = host;
    this.#limit = limit;
    this.#arena = new Arena(chunkBytes, maxChunkBytes);
    this.#chunkBytes = chunkBytes;
    this.#policy = policy(this);
    if (this.#policy.tracksPositions) this.#table.observe(this.#policy);
  }

  /**
   * Reserves the policy's per-slot bytes for the first index and tells the policy its capacity;
   * false (the shard must then be disposed) when they are not available. Called once, before use.
   */
  start(): boolean {
    const capacity = this.#table.capacity;
    if (!this.tryReserve(capacity * (this.#policy.slotBytes ?? 0))) return false;
    this.#policy.resized(capacity);
    return true;
  }

  /** Live entries. */
  get count(): number {
    return this.#table.count;
  }

  /** Bytes of live slots, headers included. */
  get liveBytes(): number {
    return this.#liveBytes;
  }

  /** Bytes of arena chunks (live, dead or unused). */
  get chunkBytes(): number {
    return this.#arena.bytes;
  }

  /** Bytes held: chunks plus index and policy arrays. */
  get reservedBytes(): number {
    return this.#reserved;
  }

  /** The value under `key` as a new Buffer, counting a hit or a miss. */
  get(key: string, hash: number): Buffer | undefined {
    return this.#read(key, hash) ? copyValue(this.#foundChunk!, this.#foundOffset) : undefined;
  }

  /** The value under `key` decoded as UTF-8 (latin1 when stored as ASCII), counting a hit or a miss. */
  getString(key: string, hash: number): string | undefined {
    return this.#read(key, hash)
      ? readValueString(this.#foundChunk!, this.#foundOffset)
      : undefined;
  }

  /**
   * The read both `get` and `getString` make: finds the live entry (into #foundChunk and
   * #foundOffset), counts the hit or miss and tells the policy of the hit.
   */
  #read(key: string, hash: number): boolean {
    const position = this.#findLive(key, hash);
    if (position < 0) {
      this.#host.counters.misses++;
      return false;
    }
    this.#host.counters.hits++;
    this.#policy.onHit(
      this.#foundChunk!.words,
      (this.#foundOffset >>> 2) + KEY_INFO_WORD,
      position,
    );
    return true;
  }

  /** Whether a live entry is under `key`, counted as a read (hit or miss, the policy told) without copying its value. */
  touch(key: string, hash: number): boolean {
    return this.#read(key, hash);
  }

  /** The expiry (ms, 0 = none) of the live entry under `key`, or -1 when there is none; counts nothing. */
  expiryOf(key: string, hash: number): number {
    if (this.#findLive(key, hash) < 0) return -1;
    return this.#foundChunk!.doubles[(this.#foundOffset >>> 3) + EXPIRES_DOUBLE]!;
  }

  /** The value under `key` as a new Buffer, counting nothing and not telling the policy. */
  peek(key: string, hash: number): Buffer | undefined {
    if (this.#findLive(key, hash) < 0) return undefined;
    return copyValue(this.#foundChunk!, this.#foundOffset);
  }

  /** Whether a live entry exists under `key` (no hit or miss is counted). */
  has(key: string, hash: number): boolean {
    return this.#findLive(key, hash) >= 0;
  }

  /**
   * Stores a value. `keyWide`: the key has a code unit >= 256 (stored as UTF-16). `value` is
   * written as latin1 when `valueAscii`, else as UTF-8 (strings) or copied (bytes, from byte
   * `valueStart` on). Returns false when no room could be made; a previous value under the key is
   * then gone.
   */
  set(
    key: string,
    hash: number,
    keyWide: boolean,
    value: string | Uint8Array,
    valueBytes: number,
    valueAscii: boolean,
    expiresAt: number,
    valueStart = 0,
  ): boolean {
    const position = this.#find(key, hash);
    if (position >= 0) {
      return this.#overwrite(
        position,
        key,
        hash,
        keyWide,
        value,
        valueBytes,
        valueAscii,
        expiresAt,
        valueStart,
      );
    }
    const keyBytes = keyWide ? key.length * 2 : key.length;
    return this.#insert(
      key,
      hash,
      keyWide,
      value,
      valueBytes,
      valueAscii,
      expiresAt,
      valueStart,
      slotBytes(keyBytes, valueBytes),
      keyInfo(key, keyWide, valueAscii),
      this.#policy.queueFor(hash),
      false,
    );
  }

  /**
   * The rest of a {@link set} whose key a probe found at index `position` (the found registers
   * holding its slot): the value is rewritten in place when it fits the slot, else the slot is
   * killed and a new one inserted in the same queue.
   */
  #overwrite(
    position: number,
    key: string,
    hash: number,
    keyWide: boolean,
    value: string | Uint8Array,
    valueBytes: number,
    valueAscii: boolean,
    expiresAt: number,
    valueStart: number,
  ): boolean {
    const keyBytes = keyWide ? key.length * 2 : key.length;
    const size = slotBytes(keyBytes, valueBytes);
    let info = keyInfo(key, keyWide, valueAscii);
    const policy = this.#policy;
    const chunk = this.#foundChunk!;
    const offset = this.#foundOffset;
    const word = offset >>> 2;
    const capacity = chunk.words[word + SLOT_WORD]!;
    // The policy's bits carry over to the new value.
    info |= chunk.words[word + KEY_INFO_WORD]! & POLICY_MASK;
    if (size <= capacity) {
      // Overwrite in place: same key, same slot, no new bytes.
      rewriteValue(
        chunk,
        offset,
        info,
        expiresAt,
        keyBytes,
        value,
        valueBytes,
        valueAscii,
        valueStart,
      );
      if (expiresAt !== 0) this.#mayExpire = true;
      policy.onHit(chunk.words, word + KEY_INFO_WORD, position);
      return true;
    }
    // The new slot joins the queue the old one was in.
    const queue = chunk.queue!;
    this.#kill(position, chunk, offset, capacity);
    return this.#insert(
      key,
      hash,
      keyWide,
      value,
      valueBytes,
      valueAscii,
      expiresAt,
      valueStart,
      size,
      info,
      queue,
      true,
    );
  }

  /**
   * Stores entries `order[from..to)` of a batch (see `MemoryStore.setMany`) as {@link set} would
   * one by one; `outcomes[i]` (when given) receives `SET_STORED` when entry `i` was stored,
   * `SET_NO_ROOM` when no room could be made. Returns how many were stored. `flags[i]` holds {@link BATCH_WIDE_KEY} and
   * {@link BATCH_ASCII_VALUE}; `ttlMs` is one lifetime or one per entry (0 = none), from `now`.
   *
   * Why a loop of its own: most of a batch's entries are new keys that fit in their queue's head
   * chunk (which `prepare` sized for the batch). Those are written here without a call per
   * entry, and indexed at the empty slot their absence check ended on instead of probing again;
   * any other entry goes through {@link set}'s own steps, still probed once: a key already
   * stored continues from this probe into the overwrite, a full head into the insert, and an
   * index due to grow is left to {@link set} before any probe here.
   */
  setBatch(
    order: Int32Array,
    from: number,
    to: number,
    keys: readonly string[],
    hashes: Int32Array,
    values: readonly (Uint8Array | string)[],
    sizes: Int32Array,
    flags: Uint8Array,
    starts: ArrayLike<number> | undefined,
    ttlMs: number | ArrayLike<number>,
    now: number,
    outcomes: Uint8Array | undefined,
  ): number {
    const policy = this.#policy;
    const arena = this.#arena;
    let stored = 0;
    for (let j = from; j < to; j++) {
      const i = order[j]!;
      const key = keys[i]!;
      const hash = hashes[i]!;
      const flag = flags[i]!;
      const keyWide = (flag & BATCH_WIDE_KEY) !== 0;
      const valueAscii = (flag & BATCH_ASCII_VALUE) !== 0;
      const value = values[i]!;
      const valueBytes = sizes[i]!;
      const valueStart = starts === undefined ? 0 : starts[i]!;
      const ttl = typeof ttlMs === 'number' ? ttlMs : ttlMs[i]!;
      const expiresAt = ttl > 0 ? now + ttl : 0;
      const table = this.#table;
      let ok: boolean;
      // One probe per entry: an index due to grow goes to `set` before any probe here (`set`
      // probes once, then grows), and a key found by this probe is handed to the overwrite.
      const probe = table.needsGrowth() ? FOUND_NONE : this.#emptySlotFor(key, hash);
      if (probe === FOUND_NONE) {
        ok = this.set(key, hash, keyWide, value, valueBytes, valueAscii, expiresAt, valueStart);
      } else if (probe < 0) {
        ok = this.#overwrite(
          -(probe + 1),
          key,
          hash,
          keyWide,
          value,
          valueBytes,
          valueAscii,
          expiresAt,
          valueStart,
        );
      } else {
        const empty = probe;
        const keyBytes = keyWide ? key.length * 2 : key.length;
        const size = slotBytes(keyBytes, valueBytes);
        const info = keyInfo(key, keyWide, valueAscii);
        const queue = policy.queueFor(hash);
        const head = queue.head;
        if (head !== undefined && head.size - head.used >= size) {
          const offset = head.used;
          head.used += size;
          this.#place(
            head,
            offset,
            size,
            hash,
            info,
            expiresAt,
            key,
            keyWide,
            value,
            valueBytes,
            valueAscii,
            valueStart,
          );
          // Nothing touched the index since the probe: the empty slot it ended on is the key's.
          table.insertAt(empty, hash, arena.location(head, offset));
          policy.onInsert(hash, empty, queue);
          ok = true;
        } else {
          ok = this.#insert(
            key,
            hash,
            keyWide,
            value,
            valueBytes,
            valueAscii,
            expiresAt,
            valueStart,
            size,
            info,
            queue,
            false,
          );
        }
      }
      if (ok) stored++;
      if (outcomes !== undefined) outcomes[i] = ok ? SET_STORED : SET_NO_ROOM;
    }
    return stored;
  }

  /**
   * The new slot of a {@link set} whose key is not stored (or whose old slot was too small and
   * is gone, `rewrite`): grows the index if due, makes room in `queue` and writes the entry.
   */
  #insert(
    key: string,
    hash: number,
    keyWide: boolean,
    value: string | Uint8Array,
    valueBytes: number,
    valueAscii: boolean,
    expiresAt: number,
    valueStart: number,
    size: number,
    info: number,
    queue: ChunkQueue,
    rewrite: boolean,
  ): boolean {
    const policy = this.#policy;
    if (this.#table.needsGrowth() && !this.#growIndex()) return false;
    const location = this.#allocate(size, queue);
    if (location === 0) return false;
    const chunk = this.#arena.chunkAt(location);
    const offset = this.#arena.offsetAt(location);
    this.#place(
      chunk,
      offset,
      size,
      hash,
      info,
      expiresAt,
      key,
      keyWide,
      value,
      valueBytes,
      valueAscii,
      valueStart,
    );
    const at = this.#table.insert(hash, location);
    policy.onInsert(hash, at, chunk.queue!);
    if (rewrite) policy.onHit(chunk.words, (offset >>> 2) + KEY_INFO_WORD, at);
    return true;
  }

  /**
   * Writes a new entry into the `size` bytes at `offset` of `chunk` (already taken from its free
   * room) and counts them live; the caller indexes it and tells the policy.
   */
  #place(
    chunk: Chunk,
    offset: number,
    size: number,
    hash: number,
    info: number,
    expiresAt: number,
    key: string,
    keyWide: boolean,
    value: string | Uint8Array,
    valueBytes: number,
    valueAscii: boolean,
    valueStart: number,
  ): void {
    writeEntry(
      chunk,
      offset,
      size,
      hash,
      info,
      expiresAt,
      key,
      keyWide,
      value,
      valueBytes,
      valueAscii,
      valueStart,
    );
    if (expiresAt !== 0) this.#mayExpire = true;
    chunk.live += size;
    this.#liveBytes += size;
  }

  /**
   * Readies the shard for `count` new entries of `bytes` bytes in all (a batch's share, see
   * `MemoryStore.setMany`): the index grows once to hold them under its load limit, and when the
   * chunks have less free room than `bytes`, one spare chunk sized for the batch (at most
   * `chunkBytes`) is added instead of growing chunk by chunk from 4 KiB. Best effort: when the
   * limit or the budget refuses, nothing changes and each `set` makes room as usual.
   */
  prepare(count: number, bytes: number): void {
    const table = this.#table;
    let capacity = table.capacity;
    while ((table.count + count) * 10 > capacity * 7) capacity *= 2;
    if (
      capacity > table.capacity &&
      this.#reserved + IndexTable.bytesFor(capacity) <= this.#limit
    ) {
      this.#resizeIndex(capacity);
    }
    const arena = this.#arena;
    let free = 0;
    for (const spare of this.#spares) free += spare.size;
    for (const queue of this.#policy.queues) {
      const head = queue.head;
      if (head !== undefined) free += head.size - head.used;
    }
    // Each entry's slot is rounded up to ENTRY_ALIGN.
    const need = Math.ceil((bytes + count * ENTRY_ALIGN - free) / ENTRY_ALIGN) * ENTRY_ALIGN;
    if (need <= MIN_CHUNK_BYTES) return;
    const size = arena.nextChunkSize(
      Math.min(need, this.#chunkBytes),
      this.#limit - this.#reserved,
    );
    if (size > 0 && this.tryReserve(size)) this.#spares.push(arena.add(size));
  }

  /** Removes `key`; true when a live entry was removed. */
  delete(key: string, hash: number): boolean {
    const position = this.#findLive(key, hash);
    if (position < 0) return false;
    const chunk = this.#foundChunk!;
    const offset = this.#foundOffset;
    this.#queueRemoval(chunk, offset, 'deleted');
    this.#kill(position, chunk, offset, chunk.words[(offset >>> 2) + SLOT_WORD]!);
    this.#afterRemovals();
    return true;
  }

  /** Removes every entry whose expiry is at or before `now`. */
  sweep(now: number): void {
    if (!this.#mayExpire) return;
    let removed = false;
    let expiring = false;
    for (const chunk of this.#queuedChunks()) {
      const { words, doubles } = chunk;
      const used = chunk.used;
      for (let offset = 0; offset < used; ) {
        const word = offset >>> 2;
        const capacity = words[word + SLOT_WORD]!;
        const expiresAt = doubles[(offset >>> 3) + EXPIRES_DOUBLE]!;
        if (
          (words[word + KEY_INFO_WORD]! & FLAG_DEAD) === 0 &&
          expiresAt !== 0 &&
          expiresAt <= now
        ) {
          this.#expire(chunk, offset, capacity);
          removed = true;
          if (chunk.used === 0) break; // the chunk was emptied and released or rewound
        } else if (expiresAt !== 0) {
          expiring = true;
        }
        offset += capacity;
      }
    }
    // Until an entry with an expiry is written again, sweeping this shard finds nothing.
    this.#mayExpire = expiring;
    if (removed) this.#afterRemovals();
  }

  /** The live, unexpired keys, queue by queue (in the policy's order), oldest first in each. */
  keys(): string[] {
    const keys: string[] = [];
    const now = this.#host.now();
    for (const chunk of this.#queuedChunks()) {
      const { words, doubles } = chunk;
      for (let offset = 0; offset < chunk.used; offset += words[(offset >>> 2) + SLOT_WORD]!) {
        if ((words[(offset >>> 2) + KEY_INFO_WORD]! & FLAG_DEAD) !== 0) continue;
        const expiresAt = doubles[(offset >>> 3) + EXPIRES_DOUBLE]!;
        if (expiresAt !== 0 && expiresAt <= now) continue;
        keys.push(readKey(chunk, offset));
      }
    }
    return keys;
  }

  /** Queues every live entry as removed with `reason` when the store has `onRemove`. */
  queueAll(reason: RemovalReason): void {
    if (this.#host.removals === undefined) return;
    for (const chunk of this.#queuedChunks()) {
      const words = chunk.words;
      for (let offset = 0; offset < chunk.used; offset += words[(offset >>> 2) + SLOT_WORD]!) {
        if ((words[(offset >>> 2) + KEY_INFO_WORD]! & FLAG_DEAD) === 0) {
          this.#queueRemoval(chunk, offset, reason);
        }
      }
    }
  }

  /** Returns every byte to the store; the shard must not be used afterwards. */
  dispose(): void {
    this.#releaseAllChunks();
    this.#host.release(this.#reserved);
    this.#reserved = 0;
    this.#liveBytes = 0;
    this.#table = new IndexTable(MIN_CAPACITY);
    this.#policy.dispose();
  }

  /**
   * Gives bytes back to a store whose budget is short: a spare chunk if there is one, otherwise
   * every entry of the oldest chunk of the queue the policy evicts from. Returns the bytes released.
   */
  evictOldestChunk(): number {
    const before = this.#reserved;
    const spare = this.#spares.pop();
    if (spare !== undefined) this.#releaseChunk(spare);
    else this.#policy.evict(0, true);
    // A shard emptied this way should not keep a large index (and policy arrays) either.
    const target = this.#table.shrinkTarget();
    if (target > 0) this.#resizeIndex(target);
    return before - this.#reserved;
  }

  /** Allocates empty chunks up to `bytes` (or the limit) now rather than on first use. */
  preallocate(bytes: number, chunkBytes: number): void {
    let remaining = Math.min(bytes, this.#limit - this.#reserved);
    while (remaining >= ENTRY_ALIGN * 8) {
      const size = Math.min(chunkBytes, Math.floor(remaining / ENTRY_ALIGN) * ENTRY_ALIGN);
      if (!this.tryReserve(size)) return;
      // Kept as spares: every queue takes them before it grows.
      this.#spares.push(this.#arena.add(size));
      remaining -= size;
    }
  }

  // --- the policy's host ---

  /** The store's counters. */
  get counters(): Counters {
    return this.#host.counters;
  }

  /** Number of arena chunks (each is a few JS objects: see `CHUNK_HEAP_BYTES`). */
  get chunkCount(): number {
    return this.#arena.chunkCount;
  }

  /** Bytes of arena chunks (for the policy). */
  get arenaBytes(): number {
    return this.#arena.bytes;
  }

  /** Bytes of chunks not held by live entries. */
  get freeBytes(): number {
    return this.#arena.bytes - this.#liveBytes;
  }

  /** The most bytes the shard may hold (for the policy; {@link reservedBytes} is what it holds). */
  get limitBytes(): number {
    return this.#limit;
  }

  /** The index (for the policy, read-only). */
  get table(): IndexTable {
    return this.#table;
  }

  /** Reserves `bytes` under the shard's limit and the store's budget. */
  tryReserve(bytes: number): boolean {
    if (this.#reserved + bytes > this.#limit || !this.#host.reserve(bytes)) return false;
    this.#reserved += bytes;
    return true;
  }

  /** Gives back bytes reserved with {@link tryReserve}. */
  release(bytes: number): void {
    this.#reserved -= bytes;
    this.#host.release(bytes);
  }

  /** The chunk of the entry at index position `position`. */
  chunkAt(position: number): Chunk {
    return this.#arena.chunkAt(this.#table.slots[position + 1]!);
  }

  /** The byte offset of the entry at index position `position`. */
  offsetAt(position: number): number {
    return this.#arena.offsetAt(this.#table.slots[position + 1]!);
  }

  /** Evicts the live entry at index position `position`. */
  evictAt(position: number): void {
    const location = this.#table.slots[position + 1]!;
    const chunk = this.#arena.chunkAt(location);
    const offset = this.#arena.offsetAt(location);
    this.#queueRemoval(chunk, offset, 'evicted');
    this.#host.counters.evictions++;
    this.#kill(position, chunk, offset, chunk.words[(offset >>> 2) + SLOT_WORD]!, true);
  }

  /**
   * Cleans the oldest chunk of `queue` so that `need` bytes become free. Dead slots are dropped
   * and expired entries removed; live entries are kept or evicted as `mode` says (under {@link
   * EVICT} the policy's `keeps` decides). Kept entries are relocated, first into the free tail of
   * `destination`'s head, the rest compacted to the front of this chunk, which becomes
   * `destination`'s head (so FIFO order is kept). An emptied chunk becomes a spare when it can
   * hold `need`, otherwise it is released (always when `need` is 0).
   */
  clean(queue: ChunkQueue, need: number, mode: CleanMode, destination: ChunkQueue): void {
    const arena = this.#arena;
    const policy = this.#policy;
    const chunk = queue.oldest!;
    const destinationHead = destination.head;
    let spill = destinationHead !== chunk ? destinationHead : undefined;
    const counters = this.#host.counters;
    const now = this.#host.now();
    const { bytes, words, doubles } = chunk;
    const used = chunk.used;
    let write = 0;
    for (let offset = 0; offset < used; ) {
      const word = offset >>> 2;
      const capacity = words[word + SLOT_WORD]!;
      const next = offset + capacity;
      const info = words[word + KEY_INFO_WORD]!;
      if ((info & FLAG_DEAD) !== 0) {
        offset = next;
        continue;
      }
      const expiresAt = doubles[(offset >>> 3) + EXPIRES_DOUBLE]!;
      const expired = expiresAt !== 0 && expiresAt <= now;
      let keep = !expired && mode === RELOCATE;
      if (!expired && mode === EVICT && policy.keeps(words, word + KEY_INFO_WORD, queue)) {
        keep = true;
        counters.reinserted++;
      }
      const position = this.#positionAt(chunk, offset);
      if (!keep) {
        this.#queueRemoval(chunk, offset, expired ? 'expired' : 'evicted');
        if (expired) counters.expirations++;
        else counters.evictions++;
        policy.onRemove(words[word + HASH_WORD]!, position, queue, !expired);
        this.#table.removeAt(position);
        chunk.live -= capacity;
        this.#liveBytes -= capacity;
        offset = next;
        continue;
      }
      if (spill !== undefined && spill.size - spill.used >= capacity) {
        bytes.copy(spill.bytes, spill.used, offset, next);
        this.#table.slots[position + 1] = arena.location(spill, spill.used);
        spill.used += capacity;
        spill.live += capacity;
        chunk.live -= capacity;
      } else {
        // Once one entry does not fit the head, the rest stay here, so FIFO order is kept.
        spill = undefined;
        if (write !== offset) {
          bytes.copyWithin(write, offset, next);
          this.#table.slots[position + 1] = arena.location(chunk, write);
        }
        write += capacity;
      }
      offset = next;
    }
    chunk.used = write;
    if (chunk.live === 0) {
      queue.remove(chunk);
      if (need > 0 && chunk.size >= need) this.#spares.push(chunk);
      else this.#releaseChunk(chunk);
    } else if (destination !== queue) {
      queue.remove(chunk);
      destination.push(chunk);
    } else {
      queue.moveToHead(chunk);
    }
  }

  // --- lookup ---

  /** Index position of `key` (expired or not), setting the found registers; -1 when absent. */
  #find(key: string, hash: number): number {
    const table = this.#table;
    const slots = table.slots;
    const mask = table.mask;
    for (let p = table.home(hash); ; p = (p + 2) & mask) {
      const location = slots[p + 1]!;
      if (location === 0) return -1;
      if (slots[p] === hash) {
        const chunk = this.#arena.chunkAt(location);
        const offset = this.#arena.offsetAt(location);
        // Compare code units straight from the string: no encoding, no allocation.
        if (keyEquals(chunk, offset, key)) {
          this.#foundChunk = chunk;
          this.#foundOffset = offset;
          return p;
        }
        this.#host.counters.collisions++;
      }
    }
  }

  /**
   * A batch write's one probe for `key`: the position `p` of the empty slot that ends the probe
   * for `hash` when `key` is not in the index, or `-(p + 1)` when it is at position `p` (expired
   * or not), with the found registers set as {@link #find} sets them. Collisions are counted as
   * `#find` counts them.
   */
  #emptySlotFor(key: string, hash: number): number {
    const table = this.#table;
    const slots = table.slots;
    const mask = table.mask;
    for (let p = table.home(hash); ; p = (p + 2) & mask) {
      const location = slots[p + 1]!;
      if (location === 0) return p;
      if (slots[p] === hash) {
        const chunk = this.#arena.chunkAt(location);
        const offset = this.#arena.offsetAt(location);
        if (keyEquals(chunk, offset, key)) {
          this.#foundChunk = chunk;
          this.#foundOffset = offset;
          return -(p + 1);
        }
        this.#host.counters.collisions++;
      }
    }
  }

  /** Like {@link #find}, but an expired entry is removed (and reported) and counts as absent. */
  #findLive(key: string, hash: number): number {
    const position = this.#find(key, hash);
    if (position < 0) return -1;
    const chunk = this.#foundChunk!;
    const offset = this.#foundOffset;
    const expiresAt = chunk.doubles[(offset >>> 3) + EXPIRES_DOUBLE]!;
    if (expiresAt !== 0 && expiresAt <= this.#host.now()) {
      this.#expire(chunk, offset, chunk.words[(offset >>> 2) + SLOT_WORD]!, position);
      this.#afterRemovals();
      return -1;
    }
    return position;
  }

  /** Every chunk that may hold entries: queue by queue in the policy's order, oldest first. */
  #queuedChunks(): Chunk[] {
    const chunks: Chunk[] = [];
    for (const queue of this.#policy.queues) chunks.push(...queue.chunks);
    return chunks;
  }

  // --- removal ---

  /**
   * Removes index position `position` (the entry at chunk/offset) and frees its slot, telling
   * the policy first (`evicted`: to make room).
   */
  #kill(position: number, chunk: Chunk, offset: number, capacity: number, evicted = false): void {
    const word = offset >>> 2;
    this.#policy.onRemove(chunk.words[word + HASH_WORD]!, position, chunk.queue!, evicted);
    this.#table.removeAt(position);
    chunk.words[word + KEY_INFO_WORD]! |= FLAG_DEAD;
    chunk.live -= capacity;
    this.#liveBytes -= capacity;
    if (chunk.live === 0) this.#chunkEmptied(chunk);
  }

  #expire(chunk: Chunk, offset: number, capacity: number, position?: number): void {
    this.#queueRemoval(chunk, offset, 'expired');
    this.#host.counters.expirations++;
    this.#kill(position ?? this.#positionAt(chunk, offset), chunk, offset, capacity);
  }

  /** A chunk holds nothing live: a queue's head rewinds, any other chunk is released. */
  #chunkEmptied(chunk: Chunk): void {
    chunk.used = 0;
    if (chunk !== chunk.queue?.head) this.#releaseChunk(chunk);
  }

  /** Takes `chunk` out of its queue (or the spares) and returns its bytes. */
  #releaseChunk(chunk: Chunk): void {
    if (chunk.queue !== undefined) chunk.queue.remove(chunk);
    else {
      const at = this.#spares.indexOf(chunk);
      if (at >= 0) this.#spares.splice(at, 1);
    }
    this.#arena.remove(chunk);
    this.release(chunk.size);
  }

  #releaseAllChunks(): void {
    for (const chunk of [...this.#queuedChunks(), ...this.#spares]) this.#releaseChunk(chunk);
  }

  #queueRemoval(chunk: Chunk, offset: number, reason: RemovalReason): void {
    const removals = this.#host.removals;
    if (removals === undefined) return;
    removals.push([readKey(chunk, offset), copyValue(chunk, offset), reason]);
  }

  /** After deletes and expiries: give memory back when the shard has become sparse. */
  #afterRemovals(): void {
    const arena = this.#arena;
    if (this.#table.count > 0 && arena.bytes - this.#liveBytes > arena.bytes / 2) {
      // Over half the arena is free: relocate the oldest chunk's survivors of the queue with the
      // most free bytes so the chunk can go, or move a lone, mostly empty chunk's entries into a
      // smaller one.
      const queue = this.#sparsestQueue();
      if (queue !== undefined) {
        if (queue.chunkCount > 1) this.clean(queue, 0, RELOCATE, queue);
        else this.#shrinkLone(queue);
      }
    }
    // Checked after the clean, which drops expired entries too and can leave the shard empty.
    if (this.#table.count === 0) this.#releaseAllChunks();
    const target = this.#table.shrinkTarget();
    if (target > 0) this.#resizeIndex(target);
  }

  /** The queue (with chunks) holding the most free bytes; the earlier queue on a tie. */
  #sparsestQueue(): ChunkQueue | undefined {
    let best: ChunkQueue | undefined;
    let bestFree = 0;
    for (const queue of this.#policy.queues) {
      if (queue.chunkCount === 0) continue;
      const free = queue.bytes - queue.liveBytes();
      if (best === undefined || free > bestFree) {
        best = queue;
        bestFree = free;
      }
    }
    return best;
  }

  /** Replaces the single chunk of `queue` by a smaller one when it is mostly empty. */
  #shrinkLone(queue: ChunkQueue): void {
    const head = queue.head!;
    let size = this.#arena.firstChunkBytes;
    while (size < head.live * 2) size *= 2;
    if (size >= head.size || !this.tryReserve(size)) return;
    queue.push(this.#arena.add(size));
    this.clean(queue, 0, RELOCATE, queue);
  }

  // --- space ---

  /**
   * Doubles the index, giving up spares or evicting while its bytes are not available. Eviction
   * follows the policy (a full shard meets this whenever its entry count reaches the index's
   * load limit, so forcing it would turn S3-FIFO into FIFO); evicting lowers the count, and once
   * the index no longer needs to grow, nothing more is evicted. A chunk emptied here stays a
   * spare, released on the next round only if the index still needs its bytes: a full shard
   * meeting the limit again and again then reuses its chunks instead of reallocating them.
   */
  #growIndex(): boolean {
    for (let round = 0; this.#table.needsGrowth(); round++) {
      if (this.#resizeIndex(this.#table.capacity * 2)) return true;
      const spare = this.#spares.pop();
      if (spare !== undefined) this.#releaseChunk(spare);
      else if (
        !this.#policy.evict(ENTRY_ALIGN, round > 4 * this.#arena.chunkCount + 4) &&
        !this.#host.reclaim(this.#table.bytes * 2, this)
      ) {
        return false;
      }
    }
    return true;
  }

  /**
   * Rebuilds the index at `capacity`, reserving the new array (and the policy's per-slot bytes)
   * before allocating it.
   */
  #resizeIndex(capacity: number): boolean {
    const perSlot = this.#policy.slotBytes ?? 0;
    const oldBytes = this.#table.bytes + this.#table.capacity * perSlot;
    if (!this.tryReserve(IndexTable.bytesFor(capacity) + capacity * perSlot)) return false;
    this.#table.resize(capacity);
    this.release(oldBytes);
    this.#policy.resized(capacity);
    return true;
  }

  /** An empty spare chunk of at least `size` bytes, taken from the spares; undefined if none. */
  #takeSpare(size: number): Chunk | undefined {
    const spares = this.#spares;
    for (let i = spares.length - 1; i >= 0; i--) {
      const chunk = spares[i]!;
      if (chunk.size >= size) {
        spares.splice(i, 1);
        return chunk;
      }
    }
    return undefined;
  }

  /** A location with `size` free bytes at the head of `queue`, making room as needed; 0 if none. */
  #allocate(size: number, queue: ChunkQueue): number {
    const arena = this.#arena;
    // Relocation may go once round every chunk from this round on (see below).
    let relocateFrom = 0;
    for (let round = 0; ; round++) {
      const head = queue.head;
      if (head !== undefined && head.size - head.used >= size) {
        const offset = head.used;
        head.used += size;
        return arena.location(head, offset);
      }
      const spare = this.#takeSpare(size);
      if (spare !== undefined) {
        queue.push(spare);
        continue;
      }
      const passes = arena.chunkCount;
      const free = arena.bytes - this.#liveBytes;
      const relocate = round - relocateFrom <= passes;
      if (relocate && free > arena.bytes / 3 && this.#compact(size)) {
        // A third of the arena is dead: reclaim it before growing (copying at most 2 bytes
        // per byte freed), so a store that only overwrites stays near 1.5x its live bytes
        // instead of climbing to maxBytes.
        continue;
      }
      const chunkSize = arena.nextChunkSize(size, this.#limit - this.#reserved);
      if (chunkSize > 0) {
        if (this.tryReserve(chunkSize)) {
          queue.push(arena.add(chunkSize));
          continue;
        }
        // The budget refused the geometric size; a chunk just big enough may still fit.
        const small = Math.max(size, Math.min(chunkSize, MIN_CHUNK_BYTES));
        if (small < chunkSize && this.tryReserve(small)) {
          queue.push(arena.add(small));
          continue;
        }
      }
      // Full. Relocate while there is slack (free bytes above the entry plus 1/16 of the arena)
      // and relocation has not yet gone once round every chunk (since the last entry-by-entry
      // eviction); then evict. A policy may keep
      // every entry of a chunk (all were read), but each pass spends a read, so a few passes
      // always free room; past them, evict regardless.
      if (relocate && free >= size + arena.bytes / 16 && this.#compact(size)) continue;
      if (this.#policy.evict(size, round > 4 * passes + 4)) {
        // A policy that evicts entry by entry leaves dead bytes across the chunks: relocation
        // may go round them again to gather them.
        if (this.#policy.tracksPositions) relocateFrom = round + 1;
        continue;
      }
      if (!this.#host.reclaim(size, this)) return 0;
    }
  }

  /** Relocates (without evicting) the oldest chunk of the queue with the most free bytes. */
  #compact(need: number): boolean {
    const queue = this.#sparsestQueue();
    if (queue === undefined) return false;
    this.clean(queue, need, RELOCATE, queue);
    return true;
  }

  /** The index position of the live entry at chunk/offset. */
  #positionAt(chunk: Chunk, offset: number): number {
    return this.#table.positionOf(
      chunk.words[(offset >>> 2) + HASH_WORD]!,
      this.#arena.location(chunk, offset),
    );
  }
}
