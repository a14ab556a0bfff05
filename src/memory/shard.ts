/**
 * One shard of a MemoryStore: an {@link IndexTable} over an {@link Arena} of chunks, with
 * expiry, reclaim and FIFO eviction, under a byte limit that covers its chunks and its index.
 *
 * Reclaim (see docs/memory-store.md): when the head chunk is full and a third of the arena is
 * free, or no chunk can be added, the shard cleans its oldest chunk. Dead and expired slots are
 * dropped; live entries are relocated, first into the free tail of the head chunk, the rest
 * compacted to the front of the cleaned chunk, which then becomes the head. Only when the shard is
 * truly full (free bytes below the entry plus 1/16 of the arena) are live entries evicted: all
 * of the oldest chunk's, so eviction is strictly FIFO.
 *
 * @module
 */
import { Arena, type Chunk, MIN_CHUNK_BYTES } from './arena.ts';
import {
  ENTRY_ALIGN,
  EXPIRES_DOUBLE,
  FLAG_ASCII_VALUE,
  FLAG_DEAD,
  FLAG_WIDE_KEY,
  HASH_WORD,
  HEADER_BYTES,
  KEY_INFO_WORD,
  KEY_LENGTH_SHIFT,
  SLOT_WORD,
  slotBytes,
  VALUE_LENGTH_WORD,
} from './entry-layout.ts';
import { IndexTable, MIN_CAPACITY } from './index-table.ts';

/** Why an entry left the store, as passed to `onRemove`. */
export type RemovalReason = 'expired' | 'evicted' | 'deleted';

/** The store's counters, incremented in place by its shards. */
export interface Counters {
  hits: number;
  misses: number;
  sets: number;
  deletes: number;
  evictions: number;
  expirations: number;
  collisions: number;
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

/** Bytes a new shard reserves up front: its smallest index table. */
export const SHARD_BASE_BYTES = IndexTable.bytesFor(MIN_CAPACITY);

/** One shard: index, arena, expiry, reclaim and eviction. */
export class Shard {
  readonly #host: ShardHost;
  readonly #limit: number;
  readonly #arena: Arena;
  #table = new IndexTable(MIN_CAPACITY);
  #reserved = SHARD_BASE_BYTES;
  #liveBytes = 0;
  /** False when no live entry has an expiry, so the sweep can skip this shard. */
  #mayExpire = false;
  // Result registers of #find, so a lookup returns chunk and offset without allocating.
  #foundChunk: Chunk | undefined;
  #foundOffset = 0;

  /**
   * `limit` caps the shard's chunks plus index, in bytes. The caller has already reserved
   * {@link SHARD_BASE_BYTES} for it.
   */
  constructor(host: ShardHost, limit: number, maxChunkBytes: number) {
    this.#host = host;
    this.#limit = limit;
    this.#arena = new Arena(maxChunkBytes);
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

  /** Bytes held: chunks plus index arrays. */
  get reservedBytes(): number {
    return this.#reserved;
  }

  /** The value under `key` as a new Buffer, counting a hit or a miss. */
  get(key: string, hash: number): Buffer | undefined {
    if (this.#findLive(key, hash) < 0) {
      this.#host.counters.misses++;
      return undefined;
    }
    this.#host.counters.hits++;
    const chunk = this.#foundChunk!;
    const offset = this.#foundOffset;
    const start = valueStart(chunk, offset);
    const length = chunk.words[(offset >>> 2) + VALUE_LENGTH_WORD]!;
    const out = Buffer.allocUnsafe(length);
    chunk.bytes.copy(out, 0, start, start + length);
    return out;
  }

  /** The value under `key` decoded as UTF-8 (latin1 when stored as ASCII), counting a hit or a miss. */
  getString(key: string, hash: number): string | undefined {
    if (this.#findLive(key, hash) < 0) {
      this.#host.counters.misses++;
      return undefined;
    }
    this.#host.counters.hits++;
    const chunk = this.#foundChunk!;
    const offset = this.#foundOffset;
    const start = valueStart(chunk, offset);
    const words = chunk.words;
    const end = start + words[(offset >>> 2) + VALUE_LENGTH_WORD]!;
    // ASCII bytes decode identically as latin1, and latin1 decoding is a plain widening copy.
    return (words[(offset >>> 2) + KEY_INFO_WORD]! & FLAG_ASCII_VALUE) !== 0
      ? chunk.bytes.latin1Slice(start, end)
      : chunk.bytes.utf8Slice(start, end);
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
    const info =
      (key.length << KEY_LENGTH_SHIFT) |
      (keyWide ? FLAG_WIDE_KEY : 0) |
      (valueAscii ? FLAG_ASCII_VALUE : 0);
    const position = this.#find(key, hash);
    if (position >= 0) {
      const chunk = this.#foundChunk!;
      const offset = this.#foundOffset;
      const word = offset >>> 2;
      const capacity = chunk.words[word + SLOT_WORD]!;
      if (size <= capacity) {
        // Overwrite in place: same key, same slot, no new bytes.
        chunk.words[word + VALUE_LENGTH_WORD] = valueBytes;
        chunk.words[word + KEY_INFO_WORD] = info;
        chunk.doubles[(offset >>> 3) + EXPIRES_DOUBLE] = expiresAt;
        if (expiresAt !== 0) this.#mayExpire = true;
        writeValue(chunk, offset + HEADER_BYTES + keyBytes, value, valueBytes, valueAscii);
        return true;
      }
      this.#kill(position, chunk, offset, capacity);
    }
    if (this.#table.needsGrowth() && !this.#growIndex()) return false;
    const location = this.#allocate(size);
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
    for (const chunk of [...this.#arena.chunks]) {
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

  /** The live, unexpired keys, oldest first. */
  keys(): string[] {
    const keys: string[] = [];
    const now = this.#host.now();
    for (const chunk of this.#arena.chunks) {
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
    for (const chunk of this.#arena.chunks) {
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
    for (const chunk of [...this.#arena.chunks]) this.#arena.remove(chunk);
    this.#host.release(this.#reserved);
    this.#reserved = 0;
    this.#liveBytes = 0;
    this.#table = new IndexTable(MIN_CAPACITY);
  }

  /** Evicts every entry of the oldest chunk and releases it; returns the bytes released. */
  evictOldestChunk(): number {
    const before = this.#reserved;
    this.#evictOldestChunk();
    return before - this.#reserved;
  }

  /** Allocates empty chunks up to `bytes` (or the limit) now rather than on first use. */
  preallocate(bytes: number, maxChunkBytes: number): void {
    let remaining = Math.min(bytes, this.#limit - this.#reserved);
    while (remaining >= ENTRY_ALIGN * 8) {
      const size = Math.min(maxChunkBytes, Math.floor(remaining / ENTRY_ALIGN) * ENTRY_ALIGN);
      if (!this.#tryReserve(size)) return;
      // Added as empty chunks: the fill order is oldest-first, so they are used before new ones.
      this.#arena.add(size);
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

  /** A chunk holds nothing live: the head rewinds, any other chunk is released. */
  #chunkEmptied(chunk: Chunk): void {
    chunk.used = 0;
    if (chunk !== this.#arena.head) this.#releaseChunk(chunk);
  }

  #releaseChunk(chunk: Chunk): void {
    this.#arena.remove(chunk);
    this.#release(chunk.size);
  }

  #queueRemoval(chunk: Chunk, offset: number, reason: RemovalReason): void {
    const removals = this.#host.removals;
    if (removals === undefined) return;
    const start = valueStart(chunk, offset);
    const length = chunk.words[(offset >>> 2) + VALUE_LENGTH_WORD]!;
    const value = Buffer.allocUnsafe(length);
    chunk.bytes.copy(value, 0, start, start + length);
    removals.push([readKey(chunk, offset), value, reason]);
  }

  /** After deletes and expiries: give memory back when the shard has become sparse. */
  #afterRemovals(): void {
    const arena = this.#arena;
    if (this.#table.count === 0) {
      for (const chunk of [...arena.chunks]) this.#releaseChunk(chunk);
    } else if (arena.bytes - this.#liveBytes > arena.bytes / 2) {
      // Over half the arena is free: relocate the oldest chunk's survivors so it can go, or move
      // a lone, mostly empty chunk's entries into a smaller one.
      if (arena.chunkCount > 1) this.#clean(0, false);
      else this.#shrinkHead();
    }
    const target = this.#table.shrinkTarget();
    if (target > 0) this.#resizeIndex(target);
  }

  #shrinkHead(): void {
    const head = this.#arena.head!;
    let size = MIN_CHUNK_BYTES;
    while (size < this.#liveBytes * 2) size *= 2;
    if (size >= head.size || !this.#tryReserve(size)) return;
    this.#arena.add(size);
    this.#clean(0, false);
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

  /** Doubles the index, evicting whole oldest chunks while its bytes are not available. */
  #growIndex(): boolean {
    while (this.#table.needsGrowth()) {
      if (this.#resizeIndex(this.#table.capacity * 2)) return true;
      if (!this.#evictOldestChunk() && !this.#host.reclaim(this.#table.bytes * 2, this)) {
        return false;
      }
    }
    return true;
  }

  /** Rebuilds the index at `capacity`, reserving the new arrays before allocating them. */
  #resizeIndex(capacity: number): boolean {
    const oldBytes = this.#table.bytes;
    if (!this.#tryReserve(IndexTable.bytesFor(capacity))) return false;
    this.#table.resize(capacity);
    this.#release(oldBytes);
    return true;
  }

  #evictOldestChunk(): boolean {
    const oldest = this.#arena.oldest;
    if (oldest === undefined) return false;
    this.#clean(0, true);
    return true;
  }

  /** A location with `size` free bytes in the head chunk, making room as needed; 0 if none. */
  #allocate(size: number): number {
    const arena = this.#arena;
    for (let round = 0; ; round++) {
      const head = arena.head;
      if (head !== undefined && head.size - head.used >= size) {
        const offset = head.used;
        head.used += size;
        return arena.location(head, offset);
      }
      const oldest = arena.oldest!;
      if (oldest !== head && oldest.used === 0 && oldest.size >= size) {
        // A chunk preallocated by `initialBytes` and never written: fill it next.
        arena.rotateToHead(oldest);
        continue;
      }
      if (round <= arena.chunkCount && arena.bytes - this.#liveBytes > arena.bytes / 3) {
        // A third of the arena is dead: reclaim it before growing (copying at most 2 bytes
        // per byte freed), so a store that only overwrites stays near 1.5x its live bytes
        // instead of climbing to maxBytes.
        this.#clean(size, false);
        continue;
      }
      const chunkSize = arena.nextChunkSize(size, this.#limit - this.#reserved);
      if (chunkSize > 0) {
        if (this.#tryReserve(chunkSize)) {
          arena.add(chunkSize);
          continue;
        }
        // The budget refused the geometric size; a chunk just big enough may still fit.
        const small = Math.max(size, Math.min(chunkSize, MIN_CHUNK_BYTES));
        if (small < chunkSize && this.#tryReserve(small)) {
          arena.add(small);
          continue;
        }
      }
      // Past one pass over every chunk without making room, relocation cannot help: evict.
      if (!this.#clean(size, round > arena.chunkCount) && !this.#host.reclaim(size, this)) {
        return 0;
      }
    }
  }

  /**
   * Cleans the oldest chunk so that `need` bytes become free at the head. Dead slots are dropped
   * and expired entries removed. Live entries are relocated (first into the head's free tail,
   * the rest compacted to the front of this chunk, which becomes the head) unless the shard is
   * truly full (free bytes below `need` plus 1/16 of the arena) or `forceEvict`: then every live
   * entry of the chunk is evicted, so eviction is strictly FIFO, a chunk at a time. An emptied
   * chunk is reused as the head when it can hold `need`, otherwise released (always when `need`
   * is 0). Returns false when the shard has no chunk.
   */
  #clean(need: number, forceEvict: boolean): boolean {
    const arena = this.#arena;
    const chunk = arena.oldest;
    if (chunk === undefined) return false;
    const head = arena.head!;
    const evicting = forceEvict || arena.bytes - this.#liveBytes < need + arena.bytes / 16;
    let spill: Chunk | undefined = chunk !== head && !evicting ? head : undefined;
    const now = this.#host.now();
    const { bytes, words, doubles } = chunk;
    const used = chunk.used;
    let write = 0;
    for (let offset = 0; offset < used; ) {
      const word = offset >>> 2;
      const capacity = words[word + SLOT_WORD]!;
      const next = offset + capacity;
      if ((words[word + KEY_INFO_WORD]! & FLAG_DEAD) !== 0) {
        offset = next;
        continue;
      }
      const expiresAt = doubles[(offset >>> 3) + EXPIRES_DOUBLE]!;
      const expired = expiresAt !== 0 && expiresAt <= now;
      if (expired || evicting) {
        this.#queueRemoval(chunk, offset, expired ? 'expired' : 'evicted');
        if (expired) this.#host.counters.expirations++;
        else this.#host.counters.evictions++;
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
    if (chunk.live === 0 && (need === 0 || chunk.size < need)) {
      this.#releaseChunk(chunk);
    } else {
      arena.rotateToHead(chunk);
    }
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
