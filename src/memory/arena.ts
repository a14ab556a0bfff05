/**
 * One shard's byte arena: the chunks it holds, their ids and sizes. A chunk is a page-aligned
 * range leased from the process-wide {@link SlabPool}, or a piece of one of its pages when it is
 * at most half a page (`page-pieces.ts`) (never one Buffer per entry, never from
 * Node's shared pool or the C allocator, so releasing it returns the memory to the operating
 * system at once, a piece's page once its last piece is released), with a Buffer and typed-array views over the same bytes for header reads.
 * An entry never straddles chunks. The order of chunks (the logs entries are appended to)
 * is kept by {@link ChunkQueue}s; the arena only allocates, frees and addresses chunks.
 *
 * Chunk sizes grow geometrically, 4 KiB, 8 KiB, ... up to `chunkBytes`, so a store that holds
 * little reserves little; a small shard's `chunkBytes` is 1 KiB or 2 KiB (`options.ts`), and all
 * its chunks are that size. An entry larger than `chunkBytes` gets a chunk of its own size. The
 * shard decides when to reserve bytes, relocate entries and release chunks.
 *
 * A location packs `chunk id << offsetBits | offset / 8` into 32 bits (offsets are 8-aligned).
 * Ids start at 1 so that location 0 can mean "empty" in the index.
 *
 * @module
 */
import type { ChunkQueue } from './chunk-queue.ts';
import { ENTRY_ALIGN } from './entry-layout.ts';
import { MAX_PIECE_BYTES, PagePieces, pagePieces } from './page-pieces.ts';
import { type Slab, type SlabPool, slabPool } from './slab-pool.ts';

/**
 * Size of the first chunk of a shard, in bytes: a page. Smaller when the shard's chunks are
 * (a small shard's, see {@link SMALLEST_CHUNK_BYTES}) or its limit is.
 */
export const MIN_CHUNK_BYTES = 4096;

/**
 * Smallest chunk size a shard may use: a small shard's chunks are 512 B to 2 KiB pieces of pages
 * (`page-pieces.ts`), so that it still has enough chunks for fine-grained eviction.
 */
export const SMALLEST_CHUNK_BYTES = 1024;

/**
 * A Node Buffer with its per-encoding methods typed. `Buffer#toString` and `Buffer#write` look
 * up the encoding and then call exactly these methods, which every Node Buffer has but
 * @types/node does not declare; calling them directly takes that dispatch off the hot path.
 */
export interface ArenaBytes extends Buffer {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
  ucs2Slice(start: number, end: number): string;
  latin1Write(text: string, offset: number, length: number): number;
  utf8Write(text: string, offset: number, length: number): number;
}

/**
 * Approximate JS heap bytes of one chunk's objects (the Chunk, its Buffer and three typed-array
 * views over a slab, plus its slot in the arena's id table; the bytes they view are counted in
 * `reservedBytes`). Measured on Node 20.20.2 as the `heapUsed` growth over 100,000 chunks after
 * a full GC: 508 B over mapped slabs, 580 B over resizable ones (the larger is used); a store's
 * `footprintBytes` adds this per chunk.
 */
export const CHUNK_HEAP_BYTES = 580;

/** One range of slab bytes holding entries, with typed-array views for reading headers. */
export class Chunk {
  /** Id used in locations, >= 1. */
  readonly id: number;
  /** Bytes of the chunk (what the shard reserved; the leased range is page-rounded). */
  readonly size: number;
  /** The slab (or own buffer) the bytes are leased from, for returning them. */
  readonly slab: Slab;
  /** Start of the chunk's range in the slab. */
  readonly slabOffset: number;
  /** The bytes; the views below start at the same byte, so offsets are chunk-relative. */
  readonly bytes: ArenaBytes;
  /** 32-bit view for header words (signed, like the index: values stay small integers). */
  readonly words: Int32Array;
  /** 64-bit float view for expiry times. */
  readonly doubles: Float64Array;
  /** 16-bit view for UTF-16 keys. */
  readonly units: Uint16Array;
  /** Bytes written so far: entries occupy `[0, used)`. */
  used = 0;
  /** Bytes of live slots; `size - live` is reclaimable. */
  live = 0;
  /** The queue the chunk belongs to; undefined while it is a spare (empty, in no queue). */
  queue: ChunkQueue | undefined;

  /** A chunk of `size` bytes at `slabOffset` (page-aligned) of `slab`. */
  constructor(id: number, size: number, slab: Slab, slabOffset: number) {
    this.id = id;
    this.size = size;
    this.slab = slab;
    this.slabOffset = slabOffset;
    const buffer = slab.buffer;
    this.bytes = Buffer.from(buffer, slabOffset, size) as ArenaBytes;
    this.words = new Int32Array(buffer, slabOffset, size >>> 2);
    this.doubles = new Float64Array(buffer, slabOffset, size >>> 3);
    this.units = new Uint16Array(buffer, slabOffset, size >>> 1);
  }
}

/** The chunks of one shard and the location encoding. */
export class Arena {
  readonly #offsetBits: number;
  readonly #offsetMask: number;
  readonly #chunkBytes: number;
  readonly #maxChunks: number;
  readonly #pool: SlabPool;
  readonly #pieces: PagePieces;
  /** Size of the first chunk (and of the smallest the geometric growth uses). */
  readonly #firstSize: number;
  readonly #byId: (Chunk | undefined)[] = [undefined];
  readonly #freeIds: number[] = [];
  #count = 0;
  #bytes = 0;
  #nextSize: number;

  /**
   * Chunks grow geometrically up to `chunkBytes`; a chunk for one larger entry may reach
   * `maxChunkBytes`, which sets how many bits of a location address bytes. Both are powers of
   * two >= {@link SMALLEST_CHUNK_BYTES}. Chunks are leased from `pool` (the process-wide one),
   * those of at most half a page as pieces of its pages.
   */
  constructor(chunkBytes: number, maxChunkBytes: number, pool: SlabPool = slabPool) {
    this.#pool = pool;
    this.#pieces = pool === slabPool ? pagePieces : new PagePieces(pool);
    this.#chunkBytes = chunkBytes;
    this.#firstSize = Math.min(MIN_CHUNK_BYTES, chunkBytes);
    this.#nextSize = this.#firstSize;
    this.#offsetBits = Math.log2(maxChunkBytes) - Math.log2(ENTRY_ALIGN);
    this.#offsetMask = 2 ** this.#offsetBits - 1;
    this.#maxChunks = 2 ** (32 - this.#offsetBits) - 1;
  }

  /** Number of chunks. */
  get chunkCount(): number {
    return this.#count;
  }

  /** Sum of chunk sizes, in bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Size of a shard's first chunk, the smallest of its geometric sequence. */
  get firstChunkBytes(): number {
    return this.#firstSize;
  }

  /** The packed location of byte `offset` of `chunk`. */
  location(chunk: Chunk, offset: number): number {
    // The 32-bit pattern as a signed int32 (`<<` wraps), the form the index stores.
    return (chunk.id << this.#offsetBits) | (offset >>> 3);
  }

  /** The chunk a location points into. */
  chunkAt(location: number): Chunk {
    return this.#byId[location >>> this.#offsetBits]!;
  }

  /** The byte offset a location points at. */
  offsetAt(location: number): number {
    return (location & this.#offsetMask) * ENTRY_ALIGN;
  }

  /**
   * Size for a new chunk that must hold `need` bytes, given `available` bytes of quota: the next
   * size of the geometric sequence, cut down to what is available; 0 when `need` cannot fit or
   * no chunk id is free.
   */
  nextChunkSize(need: number, available: number): number {
    if (this.#count >= this.#maxChunks) return 0;
    // A new chunk at most half the arena's size: growth by at most 1.5x keeps a shard's
    // reservation close to what it holds.
    let grow = Math.min(this.#nextSize, this.#chunkBytes);
    while (grow > this.#firstSize && grow > this.#bytes / 2) grow /= 2;
    let size = Math.max(need, grow);
    if (size > available) size = Math.floor(available / ENTRY_ALIGN) * ENTRY_ALIGN;
    return size >= need ? size : 0;
  }

  /** Allocates an empty chunk of `size` bytes (already reserved by the caller), in no queue. */
  add(size: number): Chunk {
    const id = this.#freeIds.pop() ?? this.#byId.length;
    let chunk: Chunk;
    if (size <= MAX_PIECE_BYTES) {
      const slab = this.#pieces.allocate(size);
      chunk = new Chunk(id, size, slab, this.#pieces.offset);
    } else {
      const slab = this.#pool.allocate(size);
      chunk = new Chunk(id, size, slab, this.#pool.offset);
    }
    this.#byId[id] = chunk;
    this.#count++;
    this.#bytes += size;
    if (size >= this.#nextSize) this.#nextSize = Math.min(this.#nextSize * 2, this.#chunkBytes);
    return chunk;
  }

  /**
   * Drops a chunk (already out of its queue) and returns its range to the pool; the caller
   * releases its reservation. The chunk's views must not be used afterwards.
   */
  remove(chunk: Chunk): void {
    if (this.#byId[chunk.id] !== chunk) return;
    this.#byId[chunk.id] = undefined;
    if (chunk.size <= MAX_PIECE_BYTES) this.#pieces.free(chunk.slab, chunk.slabOffset, chunk.size);
    else this.#pool.free(chunk.slab, chunk.slabOffset, chunk.size);
    this.#freeIds.push(chunk.id);
    this.#count--;
    this.#bytes -= chunk.size;
    if (this.#count === 0) this.#nextSize = this.#firstSize;
  }
}
