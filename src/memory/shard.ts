/**
 * One shard of a MemoryStore: an {@link IndexTable} over an {@link Arena} of chunks kept in
 * {@link ChunkQueue}s, with expiry, reclaim and eviction (`s3fifo` or `fifo`), under a byte limit
 * that covers its chunks, its index and its ghost queue.
 *
 * Reclaim (see docs/memory-store.md): when a queue's head chunk is full and a third of the arena
 * is free, or no chunk can be added, the shard cleans the oldest chunk of a queue. Dead and
 * expired slots are dropped; live entries are relocated, first into the free tail of the queue's
 * head chunk, the rest compacted to the front of the cleaned chunk, which then becomes the head.
 * Only when the shard is truly full (free bytes below the entry plus 1/16 of the arena) are live
 * entries evicted, a chunk at a time:
 *
 * - `fifo`: one queue; every live entry of its oldest chunk is evicted (bigcache's order).
 * - `s3fifo` (Yang et al., SOSP 2023): new entries enter a small queue (about 10 % of the
 *   chunks); when it is over that share its oldest chunk is cleaned: entries read since they
 *   entered move to the main queue, the others are evicted and their hashes remembered by a
 *   {@link GhostQueue}. Otherwise the main queue's oldest chunk is cleaned: entries read since
 *   their last pass are reinserted (their 2-bit read count decremented), the others evicted. A
 *   key stored again while its hash is a ghost goes straight to main.
 *
 * @module
 */
import { Arena, type Chunk, MIN_CHUNK_BYTES } from './arena.ts';
import { ChunkQueue } from './chunk-queue.ts';
import {
  ENTRY_ALIGN,
  EXPIRES_DOUBLE,
  FLAG_ASCII_VALUE,
  FLAG_DEAD,
  FLAG_WIDE_KEY,
  FREQ_MASK,
  FREQ_ONE,
  HASH_WORD,
  HEADER_BYTES,
  KEY_INFO_WORD,
  KEY_LENGTH_SHIFT,
  SLOT_WORD,
  slotBytes,
  VALUE_LENGTH_WORD,
} from './entry-layout.ts';
import { GhostQueue } from './ghost-queue.ts';
import { IndexTable, MIN_CAPACITY } from './index-table.ts';

/** Why an entry left the store, as passed to `onRemove`. */
export type RemovalReason = 'expired' | 'evicted' | 'deleted';

/** Which entries leave when a full store needs room: see the module comment. */
export type EvictionPolicy = 's3fifo' | 'fifo';

/** The store's counters, incremented in place by its shards. */
export interface Counters {
  hits: number;
  misses: number;
  sets: number;
  deletes: number;
  evictions: number;
  expirations: number;
  collisions: number;
  reinserted: number;
  ghostHits: number;
}

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

// Keys up to this length are copied by a JS loop: cheaper than a native call for short strings.
const SHORT_KEY_UNITS = 32;

// S3-FIFO's small queue: new entries spend their first pass in about this share of the chunks.
const SMALL_QUEUE_SHARE = 0.1;

// S3-FIFO's ghost queue remembers one hash per this many index slots: 35-70 % as many keys as
// the shard holds, for 3 bytes per slot. (In bench/hit-ratio a ghost twice as large measured
// the same miss ratios or slightly worse, since the entries its bytes displace cost more; one
// half as large forgot a loop's keys before they came back.)
const GHOST_PER_SLOT = 4;

// How #clean treats the live entries of the chunk it cleans.
/** Keep every one (reclaim of dead space). */
const RELOCATE = 0;
/** Evict by the policy: `fifo` evicts all; `s3fifo` keeps those read since their last pass. */
const EVICT = 1;
/** Evict all, whatever the policy (a budget short of bytes, or policy passes made no room). */
const EVICT_ALL = 2;
type CleanMode = typeof RELOCATE | typeof EVICT | typeof EVICT_ALL;

/** Bytes a new shard reserves up front: its smallest index table. */
export const SHARD_BASE_BYTES = IndexTable.bytesFor(MIN_CAPACITY);

/** One shard: index, arena, expiry, reclaim and eviction. */
export class Shard {
  readonly #host: ShardHost;
  readonly #limit: number;
  readonly #arena: Arena;
  readonly #s3fifo: boolean;
  /** Under `fifo` the only queue; under `s3fifo`, entries read during their first pass. */
  readonly #main = new ChunkQueue();
  /** Under `s3fifo`, where new entries spend their first pass; unused under `fifo`. */
  readonly #small = new ChunkQueue();
  /** Empty chunks in no queue (preallocated, or emptied while making room), used before growing. */
  readonly #spares: Chunk[] = [];
  /** Under `s3fifo`, hashes the small queue evicted; sized with the index, absent while it is minimal. */
  #ghost: GhostQueue | undefined;
  #table = new IndexTable(MIN_CAPACITY);
  #reserved = SHARD_BASE_BYTES;
  #liveBytes = 0;
  /** False when no live entry has an expiry, so the sweep can skip this shard. */
  #mayExpire = false;
  // Result registers of #find, so a lookup returns chunk and offset without allocating.
  #foundChunk: Chunk | undefined;
  #foundOffset = 0;

  /**
   * `limit` caps the shard's chunks plus index (and ghost), in bytes. The caller has already
   * reserved {@link SHARD_BASE_BYTES} for it.
   */
  constructor(
    host: ShardHost,
    limit: number,
    chunkBytes: number,
    maxChunkBytes: number,
    policy: EvictionPolicy,
  ) {
    this.#host = host;
    this.#limit = limit;
    this.#arena = new Arena(chunkBytes, maxChunkBytes);
    this.#s3fifo = policy === 's3fifo';
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

  /** Bytes held: chunks plus index and ghost arrays. */
  get reservedBytes(): number {
    return this.#reserved;
  }

  /** The value under `key` as a new Buffer, counting a hit or a miss. */
  get(key: string, hash: number): Buffer | undefined {
    return this.#read(key, hash) ? copyValue(this.#foundChunk!, this.#foundOffset) : undefined;
  }

  /** The value under `key` decoded as UTF-8 (latin1 when stored as ASCII), counting a hit or a miss. */
  getString(key: string, hash: number): string | undefined {
    if (!this.#read(key, hash)) return undefined;
    const chunk = this.#foundChunk!;
    const offset = this.#foundOffset;
    const words = chunk.words;
    const start = valueStart(chunk, offset);
    const end = start + words[(offset >>> 2) + VALUE_LENGTH_WORD]!;
    // ASCII bytes decode identically as latin1, and latin1 decoding is a plain widening copy.
    return (words[(offset >>> 2) + KEY_INFO_WORD]! & FLAG_ASCII_VALUE) !== 0
      ? chunk.bytes.latin1Slice(start, end)
      : chunk.bytes.utf8Slice(start, end);
  }

  /**
   * The read both `get` and `getString` make: finds the live entry (into #foundChunk and
   * #foundOffset), counts the hit or miss and, under S3-FIFO, marks the entry read.
   */
  #read(key: string, hash: number): boolean {
    if (this.#findLive(key, hash) < 0) {
      this.#host.counters.misses++;
      return false;
    }
    this.#host.counters.hits++;
    if (this.#s3fifo) countRead(this.#foundChunk!.words, (this.#foundOffset >>> 2) + KEY_INFO_WORD);
    return true;
  }

  /** The value under `key` as a new Buffer, counting nothing and not marking it read. */
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
   * written as latin1 when `valueAscii`, else as UTF-8 (strings) or copied (bytes). Returns false
   * when no room could be made; a previous value under the key is then gone.
   */
  set(
    key: string,
    hash: number,
    keyWide: boolean,
    value: string | Uint8Array,
    valueBytes: number,
    valueAscii: boolean,
    expiresAt: number,
  ): boolean {
    const keyBytes = keyWide ? key.length * 2 : key.length;
    const size = slotBytes(keyBytes, valueBytes);
    let info =
      (key.length << KEY_LENGTH_SHIFT) |
      (keyWide ? FLAG_WIDE_KEY : 0) |
      (valueAscii ? FLAG_ASCII_VALUE : 0);
    let queue = this.#s3fifo ? this.#small : this.#main;
    const position = this.#find(key, hash);
    if (position >= 0) {
      const chunk = this.#foundChunk!;
      const offset = this.#foundOffset;
      const word = offset >>> 2;
      const capacity = chunk.words[word + SLOT_WORD]!;
      if (this.#s3fifo) {
        // Writing a key again is a use of it, like a read: the count carries over, plus one.
        const reads = chunk.words[word + KEY_INFO_WORD]! & FREQ_MASK;
        info |= reads === FREQ_MASK ? reads : reads + FREQ_ONE;
      }
      if (size <= capacity) {
        // Overwrite in place: same key, same slot, no new bytes.
        chunk.words[word + VALUE_LENGTH_WORD] = valueBytes;
        chunk.words[word + KEY_INFO_WORD] = info;
        chunk.doubles[(offset >>> 3) + EXPIRES_DOUBLE] = expiresAt;
        if (expiresAt !== 0) this.#mayExpire = true;
        writeValue(chunk, offset + HEADER_BYTES + keyBytes, value, valueBytes, valueAscii);
        return true;
      }
      // The new slot joins the queue the old one was in.
      queue = chunk.queue!;
      this.#kill(position, chunk, offset, capacity);
    } else if (this.#ghost?.take(hash) === true) {
      // Evicted from the small queue not long ago and wanted again: straight to main.
      this.#host.counters.ghostHits++;
      queue = this.#main;
    }
    if (this.#table.needsGrowth() && !this.#growIndex()) return false;
    const location = this.#allocate(size, queue);
    if (location === 0) return false;
    const chunk = this.#arena.chunkAt(location);
    const offset = this.#arena.offsetAt(location);
    const word = offset >>> 2;
    const words = chunk.words;
    words[word + HASH_WORD] = hash;
    words[word + SLOT_WORD] = size;
    words[word + VALUE_LENGTH_WORD] = valueBytes;
    words[word + KEY_INFO_WORD] = info;
    chunk.doubles[(offset >>> 3) + EXPIRES_DOUBLE] = expiresAt;
    if (expiresAt !== 0) this.#mayExpire = true;
    const keyStart = offset + HEADER_BYTES;
    if (keyWide) {
      const units = chunk.units;
      const base = keyStart >>> 1;
      for (let i = 0; i < key.length; i++) units[base + i] = key.charCodeAt(i);
    } else if (key.length <= SHORT_KEY_UNITS) {
      const bytes = chunk.bytes;
      for (let i = 0; i < key.length; i++) bytes[keyStart + i] = key.charCodeAt(i);
    } else {
      chunk.bytes.latin1Write(key, keyStart, key.length);
    }
    writeValue(chunk, keyStart + keyBytes, value, valueBytes, valueAscii);
    chunk.live += size;
    this.#liveBytes += size;
    this.#table.insert(hash, location);
    return true;
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

  /** The live, unexpired keys: the main queue's, then the small queue's, oldest first in each. */
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
    this.#ghost = undefined;
  }

  /**
   * Gives bytes back to a store whose budget is short: a spare chunk if there is one, otherwise
   * every entry of the oldest chunk of the queue the policy evicts from. Returns the bytes released.
   */
  evictOldestChunk(): number {
    const before = this.#reserved;
    const spare = this.#spares.pop();
    if (spare !== undefined) this.#releaseChunk(spare);
    else this.#evict(0, true);
    // A shard emptied this way should not keep a large index (and ghost) either.
    const target = this.#table.shrinkTarget();
    if (target > 0) this.#resizeIndex(target);
    return before - this.#reserved;
  }

  /** Allocates empty chunks up to `bytes` (or the limit) now rather than on first use. */
  preallocate(bytes: number, chunkBytes: number): void {
    let remaining = Math.min(bytes, this.#limit - this.#reserved);
    while (remaining >= ENTRY_ALIGN * 8) {
      const size = Math.min(chunkBytes, Math.floor(remaining / ENTRY_ALIGN) * ENTRY_ALIGN);
      if (!this.#tryReserve(size)) return;
      // Kept as spares: every queue takes them before it grows.
      this.#spares.push(this.#arena.add(size));
      remaining -= size;
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
        if (this.#keyAt(location, key)) return p;
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

  /** Whether the entry at `location` has key `key`; on a match sets the found registers. */
  #keyAt(location: number, key: string): boolean {
    const chunk = this.#arena.chunkAt(location);
    const offset = this.#arena.offsetAt(location);
    const info = chunk.words[(offset >>> 2) + KEY_INFO_WORD]!;
    const length = key.length;
    if (info >>> KEY_LENGTH_SHIFT !== length) return false;
    // Compare code units straight from the string: no encoding, no allocation.
    if ((info & FLAG_WIDE_KEY) !== 0) {
      const units = chunk.units;
      const base = (offset + HEADER_BYTES) >>> 1;
      for (let i = 0; i < length; i++) if (units[base + i] !== key.charCodeAt(i)) return false;
    } else {
      const bytes = chunk.bytes;
      const base = offset + HEADER_BYTES;
      for (let i = 0; i < length; i++) if (bytes[base + i] !== key.charCodeAt(i)) return false;
    }
    this.#foundChunk = chunk;
    this.#foundOffset = offset;
    return true;
  }

  /** Every chunk that may hold entries: main's, then small's, oldest first in each. */
  #queuedChunks(): Chunk[] {
    return [...this.#main.chunks, ...this.#small.chunks];
  }

  // --- removal ---

  /** Removes index position `position` (the entry at chunk/offset) and frees its slot. */
  #kill(position: number, chunk: Chunk, offset: number, capacity: number): void {
    this.#table.removeAt(position);
    chunk.words[(offset >>> 2) + KEY_INFO_WORD]! |= FLAG_DEAD;
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
    this.#release(chunk.size);
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
        if (queue.chunkCount > 1) this.#clean(queue, 0, RELOCATE);
        else this.#shrinkLone(queue);
      }
    }
    // Checked after the clean, which drops expired entries too and can leave the shard empty.
    if (this.#table.count === 0) this.#releaseAllChunks();
    const target = this.#table.shrinkTarget();
    if (target > 0) this.#resizeIndex(target);
  }

  /** The queue (with chunks) holding the most free bytes. */
  #sparsestQueue(): ChunkQueue | undefined {
    const main = this.#main;
    const small = this.#small;
    if (small.chunkCount === 0) return main.chunkCount === 0 ? undefined : main;
    if (main.chunkCount === 0) return small;
    return small.bytes - small.liveBytes() > main.bytes - main.liveBytes() ? small : main;
  }

  /** Replaces the single chunk of `queue` by a smaller one when it is mostly empty. */
  #shrinkLone(queue: ChunkQueue): void {
    const head = queue.head!;
    let size = MIN_CHUNK_BYTES;
    while (size < head.live * 2) size *= 2;
    if (size >= head.size || !this.#tryReserve(size)) return;
    queue.push(this.#arena.add(size));
    this.#clean(queue, 0, RELOCATE);
  }

  // --- space ---

  #tryReserve(bytes: number): boolean {
    if (this.#reserved + bytes > this.#limit || !this.#host.reserve(bytes)) return false;
    this.#reserved += bytes;
    return true;
  }

  #release(bytes: number): void {
    this.#reserved -= bytes;
    this.#host.release(bytes);
  }

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
        !this.#evict(ENTRY_ALIGN, round > 4 * this.#arena.chunkCount + 4) &&
        !this.#host.reclaim(this.#table.bytes * 2, this)
      ) {
        return false;
      }
    }
    return true;
  }

  /** Rebuilds the index at `capacity`, reserving the new array before allocating it. */
  #resizeIndex(capacity: number): boolean {
    const oldBytes = this.#table.bytes;
    if (!this.#tryReserve(IndexTable.bytesFor(capacity))) return false;
    this.#table.resize(capacity);
    this.#release(oldBytes);
    if (this.#s3fifo) this.#resizeGhost(capacity > MIN_CAPACITY ? capacity / GHOST_PER_SLOT : 0);
    return true;
  }

  /**
   * Rebuilds the ghost queue for `capacity` hashes. The ghost only advises, so nothing is
   * evicted for it: when its new arrays do not fit, it keeps its current size.
   */
  #resizeGhost(capacity: number): void {
    const ghost = this.#ghost;
    const current = ghost?.capacity ?? 0;
    if (capacity === current) return;
    if (capacity < current) {
      // Shrinking: the bytes go back first, so this never fails; the remembered hashes go too.
      this.#release(ghost!.bytes);
      this.#ghost = undefined;
      if (capacity > 0 && this.#tryReserve(GhostQueue.bytesFor(capacity))) {
        this.#ghost = new GhostQueue(capacity);
      }
      return;
    }
    if (!this.#tryReserve(GhostQueue.bytesFor(capacity))) return;
    this.#ghost = ghost?.resized(capacity) ?? new GhostQueue(capacity);
    if (ghost !== undefined) this.#release(ghost.bytes);
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
      if (round <= passes && free > arena.bytes / 3 && this.#compact(size)) {
        // A third of the arena is dead: reclaim it before growing (copying at most 2 bytes
        // per byte freed), so a store that only overwrites stays near 1.5x its live bytes
        // instead of climbing to maxBytes.
        continue;
      }
      const chunkSize = arena.nextChunkSize(size, this.#limit - this.#reserved);
      if (chunkSize > 0) {
        if (this.#tryReserve(chunkSize)) {
          queue.push(arena.add(chunkSize));
          continue;
        }
        // The budget refused the geometric size; a chunk just big enough may still fit.
        const small = Math.max(size, Math.min(chunkSize, MIN_CHUNK_BYTES));
        if (small < chunkSize && this.#tryReserve(small)) {
          queue.push(arena.add(small));
          continue;
        }
      }
      // Full. Relocate while there is slack (free bytes above the entry plus 1/16 of the arena)
      // and relocation has not yet gone once round every chunk; then evict. S3-FIFO eviction
      // may keep every entry of a chunk (all were read), but each pass spends a read, so a few
      // passes always free room; past them, evict regardless.
      if (round <= passes && free >= size + arena.bytes / 16 && this.#compact(size)) continue;
      if (this.#evict(size, round > 4 * passes + 4)) continue;
      if (!this.#host.reclaim(size, this)) return 0;
    }
  }

  /** Relocates (without evicting) the oldest chunk of the queue with the most free bytes. */
  #compact(need: number): boolean {
    const queue = this.#sparsestQueue();
    if (queue === undefined) return false;
    this.#clean(queue, need, RELOCATE);
    return true;
  }

  /**
   * Evicts from the oldest chunk of the queue the policy takes from: under `s3fifo` the small
   * queue while it holds at least its share of the chunks (or main is empty), else main. `force`
   * evicts every entry of the chunk. Returns false when the shard has no chunk.
   */
  #evict(need: number, force: boolean): boolean {
    const small = this.#small;
    const main = this.#main;
    const fromSmall =
      small.chunkCount > 0 &&
      (main.chunkCount === 0 || small.bytes >= this.#arena.bytes * SMALL_QUEUE_SHARE);
    const queue = fromSmall ? small : main;
    if (queue.chunkCount === 0) return false;
    this.#clean(queue, need, force ? EVICT_ALL : EVICT);
    return true;
  }

  /**
   * Cleans the oldest chunk of `queue` so that `need` bytes become free. Dead slots are dropped
   * and expired entries removed; live entries are kept or evicted as `mode` says. Kept entries
   * are relocated, first into the free tail of their destination queue's head, the rest
   * compacted to the front of this chunk, which becomes that queue's head (so FIFO order is
   * kept). Under `s3fifo` with {@link EVICT}, the kept entries of the small queue move to main
   * with their read count reset, main's are reinserted with one read spent, and the small
   * queue's evicted hashes become ghosts. An emptied chunk becomes a spare when it can hold
   * `need`, otherwise it is released (always when `need` is 0).
   */
  #clean(queue: ChunkQueue, need: number, mode: CleanMode): void {
    const arena = this.#arena;
    const chunk = queue.oldest!;
    const fromSmall = queue === this.#small;
    const destination = fromSmall && mode === EVICT ? this.#main : queue;
    const destinationHead = destination.head;
    let spill = destinationHead !== chunk ? destinationHead : undefined;
    const policyKeeps = mode === EVICT && this.#s3fifo;
    const counters = this.#host.counters;
    const ghost = fromSmall ? this.#ghost : undefined;
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
      if (!expired && policyKeeps) {
        const reads = info & FREQ_MASK;
        if (reads !== 0) {
          keep = true;
          // Into main with a fresh count, or back into main with one read spent.
          words[word + KEY_INFO_WORD] = info - (fromSmall ? reads : FREQ_ONE);
          counters.reinserted++;
        }
      }
      if (!keep) {
        this.#queueRemoval(chunk, offset, expired ? 'expired' : 'evicted');
        if (expired) counters.expirations++;
        else {
          counters.evictions++;
          ghost?.add(words[word + HASH_WORD]!);
        }
        this.#table.removeAt(this.#positionAt(chunk, offset));
        chunk.live -= capacity;
        this.#liveBytes -= capacity;
        offset = next;
        continue;
      }
      const position = this.#positionAt(chunk, offset);
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

  /** The index position of the live entry at chunk/offset. */
  #positionAt(chunk: Chunk, offset: number): number {
    return this.#table.positionOf(
      chunk.words[(offset >>> 2) + HASH_WORD]!,
      this.#arena.location(chunk, offset),
    );
  }
}

/** Counts one read of the entry whose key-info word is `words[at]`, saturating at 3. */
function countRead(words: Int32Array, at: number): void {
  const info = words[at]!;
  // Allocation-free, and a store only while the count is below 3: hot entries saturate.
  if ((info & FREQ_MASK) !== FREQ_MASK) words[at] = info + FREQ_ONE;
}

/** A copy of the value of the entry at `offset`, in a new Buffer. */
function copyValue(chunk: Chunk, offset: number): Buffer {
  const start = valueStart(chunk, offset);
  const length = chunk.words[(offset >>> 2) + VALUE_LENGTH_WORD]!;
  const out = Buffer.allocUnsafe(length);
  chunk.bytes.copy(out, 0, start, start + length);
  return out;
}

/** Byte offset of the value of the entry at `offset`. */
function valueStart(chunk: Chunk, offset: number): number {
  const info = chunk.words[(offset >>> 2) + KEY_INFO_WORD]!;
  const keyUnits = info >>> KEY_LENGTH_SHIFT;
  return offset + HEADER_BYTES + ((info & FLAG_WIDE_KEY) !== 0 ? keyUnits * 2 : keyUnits);
}

/** Decodes the key of the entry at `offset`. */
function readKey(chunk: Chunk, offset: number): string {
  const info = chunk.words[(offset >>> 2) + KEY_INFO_WORD]!;
  const units = info >>> KEY_LENGTH_SHIFT;
  const start = offset + HEADER_BYTES;
  return (info & FLAG_WIDE_KEY) !== 0
    ? chunk.bytes.ucs2Slice(start, start + units * 2)
    : chunk.bytes.latin1Slice(start, start + units);
}

function writeValue(
  chunk: Chunk,
  start: number,
  value: string | Uint8Array,
  length: number,
  ascii: boolean,
): void {
  if (typeof value === 'string') {
    if (ascii) chunk.bytes.latin1Write(value, start, length);
    else chunk.bytes.utf8Write(value, start, length);
  } else {
    chunk.bytes.set(value, start);
  }
}
