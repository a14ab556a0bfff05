/**
 * The process-wide pool every store's arena chunks come from, built so that freed chunk memory
 * leaves the process's RSS at once, without a GC, a `malloc_trim` or an environment variable.
 *
 * Why not one `Buffer` per chunk: a chunk Buffer's bytes come from the C allocator (glibc
 * `malloc` on Linux). Chunks below glibc's mmap threshold (128 KiB to start with) fragment the
 * brk heap, and freed pieces stay resident until something calls `malloc_trim`; larger ones are
 * mmapped, but each free of an mmapped block raises glibc's threshold to its size (up to 32 MiB),
 * so the next ones come from the heap and stay resident too. And a freed Buffer's memory goes
 * back only when V8 collects its (old-space) object, which an idle process never does.
 *
 * What the pool does instead: chunks are page-aligned ranges of **slabs** of up to
 * {@link SLAB_BYTES}, handed out first-fit, lowest slab first, so live chunks pack into the low
 * slabs and the high ones empty out; a freed range is reused by the next chunk of any store.
 * Slabs are obtained outside `malloc`, in one of two ways:
 *
 * - `mapped` (when the native helper is built): each slab is mmapped by the helper, and every
 *   freed range given back is discarded at once (`madvise(MADV_DONTNEED)`), so it leaves RSS
 *   immediately wherever it sits in the slab.
 * - `slabs` (without the helper): each slab is a resizable `ArrayBuffer` whose committed length
 *   is the end of its highest leased range; freeing that range shrinks the slab (`resize`) and V8
 *   decommits the pages at once. Ranges freed below the top stay committed until reused
 *   ({@link SlabPoolSnapshot.retainedBytes}). Typed-array stores into resizable buffers run at
 *   about half speed in Node 20, which slows `set` (reads are unaffected).
 *
 * **Resident reserve.** Giving a page back has a price: the next write to it faults in a zeroed
 * page (about 10 µs each on a small VM), so a new store filling pages a closed one just gave back
 * pays for every page again. Like glibc's trim threshold, the pool therefore keeps the most
 * recently freed slab ranges resident, up to {@link RESERVE_BYTES} (a constructor argument), and
 * hands them to the next chunk leases before anything else. Beyond the cap the oldest reserve
 * ranges are given back as described above. Every {@link RESERVE_IDLE_MS} while the reserve holds
 * anything, an unref'd timer gives back what no lease took since the previous tick (the
 * reserve's low-water mark): an idle pool's whole reserve, so RSS still returns to the leased
 * bytes within about half a second after stores close. The reserve counts in
 * `committedBytes` and `retainedBytes`, and on its own in `reserveBytes`.
 *
 * A chunk larger than {@link SLAB_CHUNK_LIMIT} gets a slab of its own, discarded or shrunk to 0
 * when it is freed (never kept in the reserve). `TIERCACHE_ARENA=mapped|slabs|buffers` in the environment picks a backend;
 * `buffers` is one `Buffer.allocUnsafeSlow` per chunk as before the pool, for comparison.
 *
 * @module
 */

import { discardPages, mapPages, nativeMemoryStatus } from './native-memory.ts';
import { type Reclaimer, reclaimer } from './reclaimer.ts';

/** Bytes of a page, the granule of slab ranges. */
export const PAGE_BYTES = 4096;

/** Largest size of one slab (its reserved address space; only leased pages are committed). */
export const SLAB_BYTES = 4 * 1024 * 1024;

/** Largest chunk taken from a slab; a larger chunk gets a buffer of its own. */
export const SLAB_CHUNK_LIMIT = SLAB_BYTES / 4;

/** Environment variable that selects the arena backend: `slabs` (default) or `buffers`. */
export const ARENA_BACKEND_ENV = 'TIERCACHE_ARENA';

/**
 * How chunk memory is obtained: `mapped` slabs (mmapped by the native helper, freed ranges
 * discarded with `madvise`), `slabs` (resizable ArrayBuffers, shrunk when their top is freed),
 * or `buffers` (one malloc'd Buffer per chunk, as before the pool).
 */
export type ArenaBackend = 'mapped' | 'slabs' | 'buffers';

/**
 * Default cap of the resident reserve: freed slab ranges kept committed (not discarded or
 * shrunk) for the next chunk leases, so a new store's first writes do not fault in fresh pages.
 */
export const RESERVE_BYTES = 1024 * 1024;

/**
 * Period of the reserve's unref'd timer: each tick gives back the part of the reserve no lease
 * took since the previous tick, so an idle pool's reserve leaves RSS within two periods.
 */
export const RESERVE_IDLE_MS = 250;

/** Most empty slabs kept for reuse (they hold no memory, only address space and a JS object). */
const MAX_IDLE_SLABS = 16;

/**
 * A slab, or the buffer of one large chunk: the memory chunks are views into. Only the pool
 * changes it.
 */
export class Slab {
  /** The bytes chunks view; resizable unless the backend is `buffers`. */
  readonly buffer: ArrayBuffer;
  /** True when the buffer holds one chunk (a large chunk, or every chunk under `buffers`). */
  readonly dedicated: boolean;
  /** Bytes leased to chunks (page-rounded). */
  leased = 0;
  /** Committed bytes: the end of the highest leased range. */
  top = 0;
  /** Free ranges below `top`, sorted by start, never adjacent: starts and lengths in bytes. */
  readonly freeStarts: number[] = [];
  readonly freeLengths: number[] = [];
  /** Pages of this slab carved into pieces (`page-pieces.ts`): page offset -> used-piece mask. */
  pieceMasks: Map<number, number> | undefined;

  constructor(buffer: ArrayBuffer, dedicated: boolean) {
    this.buffer = buffer;
    this.dedicated = dedicated;
  }

  /** Bytes that can still be leased: free ranges plus the uncommitted rest. */
  get available(): number {
    return SLAB_BYTES - this.leased;
  }
}

/** Figures of a {@link SlabPool} at one instant, in bytes unless named otherwise. */
export interface SlabPoolSnapshot {
  /** The backend in use. */
  readonly backend: ArenaBackend;
  /** Shared slabs (leased from or empty and kept). */
  readonly slabs: number;
  /** Buffers of one chunk each (large chunks; every chunk under `buffers`). */
  readonly dedicatedBuffers: number;
  /** Chunks currently leased. */
  readonly chunks: number;
  /** Bytes leased to chunks (page-rounded), shared slabs and dedicated buffers together. */
  readonly leasedBytes: number;
  /** Bytes committed: the resident-if-touched memory of the pool (slab tops + dedicated sizes). */
  readonly committedBytes: number;
  /**
   * Committed but not leased: the resident reserve, plus (`slabs` backend) freed ranges below a
   * slab's top, all kept for the next chunk.
   */
  readonly retainedBytes: number;
  /** Of `retainedBytes`, the resident reserve: freed ranges kept committed, at most its cap. */
  readonly reserveBytes: number;
  /** Bytes released to the operating system since the process started (shrinks). */
  readonly releasedBytes: number;
}

/** Rounds `size` up to whole pages. */
function pageRound(size: number): number {
  return Math.ceil(size / PAGE_BYTES) * PAGE_BYTES;
}

function resizableSupported(): boolean {
  return typeof (ArrayBuffer.prototype as { resize?: unknown }).resize === 'function';
}

/** The resizable-buffer surface of Node 20's ArrayBuffer (lib.es2024 is not in our TS target). */
interface ResizableArrayBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
}

type ResizableArrayBufferConstructor = new (
  byteLength: number,
  options: { maxByteLength: number },
) => ResizableArrayBuffer;

function newResizable(length: number, max: number): ArrayBuffer {
  return new (ArrayBuffer as unknown as ResizableArrayBufferConstructor)(length, {
    maxByteLength: max,
  });
}

function resize(buffer: ArrayBuffer, length: number): void {
  (buffer as ResizableArrayBuffer).resize(length);
}

/**
 * Slabs of chunk memory shared by every store of the process; see the module comment.
 * `allocate` returns the slab and leaves the range's offset in {@link SlabPool.offset}, so
 * leasing a chunk creates no object besides the chunk's own views.
 */
export class SlabPool {
  readonly #backend: ArenaBackend;
  readonly #reclaimer: Reclaimer | undefined;
  /** Shared slabs in allocation-preference order (lowest first). */
  readonly #slabs: Slab[] = [];
  /** Index of the first slab that may have a free page. */
  #firstWithSpace = 0;
  #dedicated = 0;
  #dedicatedBytes = 0;
  #chunks = 0;
  #leased = 0;
  #committed = 0;
  #released = 0;
  /** Cap of the resident reserve in bytes (0: every freed range is given back at once). */
  readonly #reserveCap: number;
  /** Bytes in the reserve. */
  #reserve = 0;
  /**
   * The reserve's ranges, oldest first: each is still counted in its slab's `leased` (so the
   * slab's own free list never sees it) but not in the pool's leased bytes.
   */
  readonly #reserveSlabs: Slab[] = [];
  readonly #reserveStarts: number[] = [];
  readonly #reserveLengths: number[] = [];
  /** Lowest reserve size since the last tick: bytes the leases did not need in that time. */
  #reserveLow = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  /** Byte offset of the range the last {@link allocate} leased. */
  offset = 0;

  /**
   * `backend` defaults to {@link defaultBackend}; a backend this process cannot run falls back
   * to the next one. `reclaim`, when given, is told of every drop in leased bytes (the
   * process-wide pool's reclaimer). `reserveBytes` caps the resident reserve (default
   * {@link RESERVE_BYTES}; 0 turns it off).
   */
  constructor(
    backend: ArenaBackend = defaultBackend(),
    reclaim?: Reclaimer,
    reserveBytes: number = RESERVE_BYTES,
  ) {
    if (backend === 'mapped' && !nativeMemoryStatus().loaded) backend = 'slabs';
    if (backend === 'slabs' && !resizableSupported()) backend = 'buffers';
    this.#backend = backend;
    this.#reclaimer = reclaim;
    this.#reserveCap = backend === 'buffers' ? 0 : Math.max(0, reserveBytes);
  }

  /** A new slab's buffer (`size` bytes mapped, or a resizable one of that maximum, empty). */
  #newBuffer(size: number): ArrayBuffer {
    if (this.#backend === 'mapped') {
      const mapped = mapPages(size);
      if (mapped !== undefined) return mapped;
      throw new RangeError(`tiercache: mmap of ${size} bytes for arena chunks failed`);
    }
    return newResizable(0, size);
  }

  /** The backend in use. */
  get backend(): ArenaBackend {
    return this.#backend;
  }

  /** Leases `size` bytes (a multiple of 8); returns the slab, with the range's start in `offset`. */
  allocate(size: number): Slab {
    this.#chunks++;
    if (this.#backend === 'buffers') {
      const bytes = Buffer.allocUnsafeSlow(size);
      const slab = new Slab(bytes.buffer as ArrayBuffer, true);
      this.#lease(slab, 0, size);
      this.#dedicated++;
      this.#dedicatedBytes += size;
      return slab;
    }
    const pages = pageRound(size);
    if (this.#reserve >= pages) {
      const slab = this.#fromReserve(pages);
      if (slab !== undefined) return slab;
    }
    if (pages > SLAB_CHUNK_LIMIT) {
      const slab = new Slab(this.#newBuffer(pages), true);
      if (this.#backend === 'slabs') resize(slab.buffer, pages);
      slab.top = pages;
      this.#committed += pages;
      this.#lease(slab, 0, pages);
      this.#dedicated++;
      this.#dedicatedBytes += pages;
      return slab;
    }
    const slabs = this.#slabs;
    for (let i = this.#firstWithSpace; i < slabs.length; i++) {
      const slab = slabs[i]!;
      if (slab.available < pages) continue;
      if (this.#fit(slab, pages)) return slab;
    }
    const slab = new Slab(this.#newBuffer(SLAB_BYTES), false);
    slabs.push(slab);
    this.#fit(slab, pages);
    return slab;
  }

  /** Takes back the range `[offset, offset + size)` of `slab` leased by {@link allocate}. */
  free(slab: Slab, offset: number, size: number): void {
    const before = this.#leased;
    const pages = pageRound(size);
    if (!slab.dedicated && pages <= this.#reserveCap) this.#toReserve(slab, offset, pages);
    else this.#freeRange(slab, offset, size);
    this.#reclaimer?.leasedDropped(before, this.#leased);
  }

  /**
   * Gives the whole resident reserve back now: its ranges are discarded (`mapped`) or return to
   * their slabs' free lists and tops (`slabs`). Runs by itself once the pool is idle.
   */
  trimReserve(): void {
    if (this.#idleTimer !== undefined) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    this.#evictReserve(0);
  }

  /**
   * Keeps a freed shared-slab range resident in the reserve (it stays counted in its slab's
   * `leased` and in committed bytes), then evicts the oldest ranges beyond the cap.
   */
  #toReserve(slab: Slab, offset: number, pages: number): void {
    this.#chunks--;
    this.#leased -= pages;
    this.#reserveSlabs.push(slab);
    this.#reserveStarts.push(offset);
    this.#reserveLengths.push(pages);
    this.#reserve += pages;
    if (this.#reserve > this.#reserveCap) this.#evictReserve(this.#reserveCap);
    if (this.#idleTimer === undefined) this.#armIdle();
  }

  /** Leases `pages` bytes from the first reserve range that holds them, or undefined. */
  #fromReserve(pages: number): Slab | undefined {
    const lengths = this.#reserveLengths;
    for (let i = 0; i < lengths.length; i++) {
      const length = lengths[i]!;
      if (length < pages) continue;
      const slab = this.#reserveSlabs[i]!;
      const start = this.#reserveStarts[i]!;
      if (length === pages) {
        this.#reserveSlabs.splice(i, 1);
        this.#reserveStarts.splice(i, 1);
        lengths.splice(i, 1);
      } else {
        this.#reserveStarts[i] = start + pages;
        lengths[i] = length - pages;
      }
      this.#reserve -= pages;
      if (this.#reserve < this.#reserveLow) this.#reserveLow = this.#reserve;
      // The slab already counts these bytes as leased.
      this.#leased += pages;
      this.offset = start;
      return slab;
    }
    return undefined;
  }

  /** Gives back the oldest reserve ranges until at most `keep` bytes remain. */
  #evictReserve(keep: number): void {
    let n = 0;
    const lengths = this.#reserveLengths;
    while (this.#reserve > keep && n < lengths.length) {
      const pages = lengths[n]!;
      this.#reserve -= pages;
      // The pool's leased bytes dropped when the range entered the reserve: give them back to
      // the slab's accounting first, as if still leased, then return the range.
      this.#leased += pages;
      this.#returnRange(this.#reserveSlabs[n]!, this.#reserveStarts[n]!, pages);
      n++;
    }
    if (n > 0) {
      this.#reserveSlabs.splice(0, n);
      this.#reserveStarts.splice(0, n);
      lengths.splice(0, n);
    }
  }

  /**
   * Every {@link RESERVE_IDLE_MS} while the reserve holds anything: gives back what no lease
   * needed since the last tick (the reserve's low-water mark), oldest ranges first. An idle pool
   * gives back everything at the first tick; a pool whose stores keep leasing keeps about what
   * they take between two ticks.
   */
  #armIdle(): void {
    this.#reserveLow = this.#reserve;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      this.#evictReserve(this.#reserve - this.#reserveLow);
      if (this.#reserve > 0) this.#armIdle();
    }, RESERVE_IDLE_MS);
    this.#idleTimer.unref();
  }

  #freeRange(slab: Slab, offset: number, size: number): void {
    this.#chunks--;
    if (slab.dedicated) {
      const bytes = slab.top > 0 ? slab.top : size;
      this.#leased -= slab.leased;
      slab.leased = 0;
      this.#dedicated--;
      this.#dedicatedBytes -= this.#backend === 'buffers' ? size : bytes;
      if (this.#backend === 'slabs') this.#shrink(slab, 0);
      else if (this.#backend === 'mapped') {
        discardPages(slab.buffer, 0, bytes);
        this.#committed -= bytes;
        this.#released += bytes;
      }
      // A `buffers` chunk's memory goes back when V8 collects its ArrayBuffer.
      return;
    }
    this.#returnRange(slab, offset, pageRound(size));
  }

  /** Returns a leased shared-slab range to its slab: discarded (`mapped`) or shrunk/held free. */
  #returnRange(slab: Slab, offset: number, pages: number): void {
    slab.leased -= pages;
    this.#leased -= pages;
    if (this.#backend === 'mapped') {
      // Every freed range leaves RSS now; the bookkeeping below only decides where the next
      // chunk goes (and never resizes a mapped slab).
      discardPages(slab.buffer, offset, pages);
      this.#committed -= pages;
      this.#released += pages;
    }
    const at = this.#slabs.indexOf(slab);
    if (at >= 0 && at < this.#firstWithSpace) this.#firstWithSpace = at;
    if (slab.leased === 0) {
      slab.freeStarts.length = 0;
      slab.freeLengths.length = 0;
      this.#shrink(slab, 0);
      this.#dropIdleSlabs();
      return;
    }
    const end = offset + pages;
    if (end === slab.top) {
      // The top range: the slab shrinks to the end of the highest range still leased.
      let top = offset;
      const last = slab.freeStarts.length - 1;
      if (last >= 0 && slab.freeStarts[last]! + slab.freeLengths[last]! === top) {
        top = slab.freeStarts[last]!;
        slab.freeStarts.pop();
        slab.freeLengths.pop();
      }
      this.#shrink(slab, top);
      return;
    }
    this.#insertFree(slab, offset, pages);
  }

  /** The pool's figures now. */
  snapshot(): SlabPoolSnapshot {
    return Object.freeze({
      backend: this.#backend,
      slabs: this.#slabs.length,
      dedicatedBuffers: this.#dedicated,
      chunks: this.#chunks,
      leasedBytes: this.#leased,
      committedBytes: this.#committed + (this.#backend === 'buffers' ? this.#dedicatedBytes : 0),
      retainedBytes:
        this.#committed + (this.#backend === 'buffers' ? this.#dedicatedBytes : 0) - this.#leased,
      reserveBytes: this.#reserve,
      releasedBytes: this.#released,
    });
  }

  /** Leases `pages` bytes of `slab` (first fit, else growing its top); false when it cannot. */
  #fit(slab: Slab, pages: number): boolean {
    const starts = slab.freeStarts;
    const lengths = slab.freeLengths;
    for (let i = 0; i < starts.length; i++) {
      const length = lengths[i]!;
      if (length < pages) continue;
      const start = starts[i]!;
      if (length === pages) {
        starts.splice(i, 1);
        lengths.splice(i, 1);
      } else {
        starts[i] = start + pages;
        lengths[i] = length - pages;
      }
      if (this.#backend === 'mapped') this.#committed += pages;
      this.#lease(slab, start, pages);
      this.#advanceFirstWithSpace();
      return true;
    }
    if (slab.top + pages > SLAB_BYTES) return false;
    const start = slab.top;
    if (this.#backend === 'slabs') resize(slab.buffer, start + pages);
    slab.top = start + pages;
    this.#committed += pages;
    this.#lease(slab, start, pages);
    this.#advanceFirstWithSpace();
    return true;
  }

  #lease(slab: Slab, start: number, bytes: number): void {
    slab.leased += bytes;
    this.#leased += bytes;
    this.offset = start;
  }

  #advanceFirstWithSpace(): void {
    const slabs = this.#slabs;
    while (this.#firstWithSpace < slabs.length && slabs[this.#firstWithSpace]!.available === 0) {
      this.#firstWithSpace++;
    }
  }

  /** Adds a free range below the top, merged with its neighbours. */
  #insertFree(slab: Slab, offset: number, pages: number): void {
    const starts = slab.freeStarts;
    const lengths = slab.freeLengths;
    // Ranges are few per slab (a slab holds at most 1024 pages); a linear search is enough.
    let i = 0;
    while (i < starts.length && starts[i]! < offset) i++;
    const mergesBefore = i > 0 && starts[i - 1]! + lengths[i - 1]! === offset;
    const mergesAfter = i < starts.length && offset + pages === starts[i]!;
    if (mergesBefore && mergesAfter) {
      lengths[i - 1]! += pages + lengths[i]!;
      starts.splice(i, 1);
      lengths.splice(i, 1);
    } else if (mergesBefore) {
      lengths[i - 1]! += pages;
    } else if (mergesAfter) {
      starts[i] = offset;
      lengths[i]! += pages;
    } else {
      starts.splice(i, 0, offset);
      lengths.splice(i, 0, pages);
    }
  }

  /** Shrinks `slab` to `top` bytes: V8 decommits the pages above at once. */
  #shrink(slab: Slab, top: number): void {
    const released = slab.top - top;
    if (released <= 0) return;
    slab.top = top;
    // A mapped slab's freed ranges were discarded and uncounted when freed.
    if (this.#backend === 'mapped') return;
    resize(slab.buffer, top);
    this.#committed -= released;
    this.#released += released;
  }

  /** Forgets empty slabs beyond {@link MAX_IDLE_SLABS}, highest first. */
  #dropIdleSlabs(): void {
    const slabs = this.#slabs;
    let idle = 0;
    for (const slab of slabs) if (slab.leased === 0) idle++;
    for (let i = slabs.length - 1; i >= 0 && idle > MAX_IDLE_SLABS; i--) {
      if (slabs[i]!.leased !== 0) continue;
      slabs.splice(i, 1);
      idle--;
    }
    this.#firstWithSpace = 0;
    this.#advanceFirstWithSpace();
  }
}

/**
 * The backend a pool uses unless told otherwise: `TIERCACHE_ARENA` when set to a backend's
 * name, else `mapped` when the native helper is loaded, else `slabs` (resizable ArrayBuffers,
 * Node 20), else `buffers`.
 */
export function defaultBackend(): ArenaBackend {
  const value = process.env[ARENA_BACKEND_ENV];
  if (value === 'buffers' || value === 'slabs' || value === 'mapped') return value;
  if (nativeMemoryStatus().loaded) return 'mapped';
  return resizableSupported() ? 'slabs' : 'buffers';
}

/** The pool every arena of the process leases its chunks from. */
export const slabPool: SlabPool = new SlabPool(defaultBackend(), reclaimer);
