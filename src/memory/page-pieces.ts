/**
 * Chunks smaller than a page, carved from whole pages of the {@link SlabPool}. A shard under
 * 64 KiB uses chunks of 1 KiB or 2 KiB (`options.ts`) so that it has enough of them for eviction
 * to be fine-grained; leasing a page for each would make its memory 2-4x what it holds.
 *
 * A request of at most {@link MAX_PIECE_BYTES} gets a **piece**: a power-of-two share (its
 * _class_, from {@link MIN_PIECE_BYTES}) of a page leased from the pool for pieces of that class
 * only. Each page's used pieces are a bit mask kept on its slab; pages with a free piece are
 * listed per class and the newest of them is filled first. When a page's last piece is freed,
 * the page goes back to the pool at once (and, as for any range, leaves RSS). A page holding one
 * live piece stays leased, so memory can stay above what the pieces hold while small shards
 * come and go: at most one page per live piece, and in practice pieces are freed in the order
 * they were leased (chunks leave their shard oldest first), which empties whole pages.
 *
 * The pool counts each page as one leased chunk; the pieces are not seen by it.
 *
 * @module
 */
import { PAGE_BYTES, type Slab, type SlabPool, slabPool } from './slab-pool.ts';

/** Smallest piece (the class of any smaller request). */
export const MIN_PIECE_BYTES = 256;

/** Largest request served by a piece; a larger chunk gets whole pages. */
export const MAX_PIECE_BYTES = PAGE_BYTES / 2;

/** Number of classes: 256, 512, 1024, 2048 bytes. */
const CLASSES = Math.log2(MAX_PIECE_BYTES / MIN_PIECE_BYTES) + 1;

/** The class index of a request of `size` bytes (<= {@link MAX_PIECE_BYTES}). */
function classOf(size: number): number {
  if (size <= MIN_PIECE_BYTES) return 0;
  return 32 - Math.clz32(Math.ceil(size / MIN_PIECE_BYTES) - 1);
}

/** Pieces of pages leased from one {@link SlabPool}; see the module comment. */
export class PagePieces {
  readonly #pool: SlabPool;
  /** Per class: the pages (slab and page offset) with at least one free piece. */
  readonly #partialSlabs: Slab[][] = [];
  readonly #partialOffsets: number[][] = [];
  #pieces = 0;
  #pages = 0;
  /** Byte offset in its slab of the piece the last {@link allocate} leased. */
  offset = 0;

  constructor(pool: SlabPool) {
    this.#pool = pool;
    for (let c = 0; c < CLASSES; c++) {
      this.#partialSlabs.push([]);
      this.#partialOffsets.push([]);
    }
  }

  /** Pieces leased now. */
  get pieces(): number {
    return this.#pieces;
  }

  /** Pages leased from the pool for pieces now. */
  get pages(): number {
    return this.#pages;
  }

  /** Leases a piece of at least `size` bytes (<= {@link MAX_PIECE_BYTES}); offset in `offset`. */
  allocate(size: number): Slab {
    const c = classOf(size);
    const pieceBytes = MIN_PIECE_BYTES << c;
    const full = (1 << (PAGE_BYTES / pieceBytes)) - 1;
    const slabs = this.#partialSlabs[c]!;
    const offsets = this.#partialOffsets[c]!;
    let slab: Slab;
    let page: number;
    let mask: number;
    if (slabs.length > 0) {
      slab = slabs[slabs.length - 1]!;
      page = offsets[offsets.length - 1]!;
      mask = slab.pieceMasks!.get(page)!;
    } else {
      slab = this.#pool.allocate(PAGE_BYTES);
      page = this.#pool.offset;
      mask = 0;
      slab.pieceMasks ??= new Map();
      this.#pages++;
      slabs.push(slab);
      offsets.push(page);
    }
    // The lowest free piece.
    const bit = ~mask & (mask + 1);
    mask |= bit;
    slab.pieceMasks!.set(page, mask);
    if (mask === full) {
      // The page is the last listed (taken from there, or just listed): no free piece left.
      slabs.pop();
      offsets.pop();
    }
    this.#pieces++;
    this.offset = page + (31 - Math.clz32(bit)) * pieceBytes;
    return slab;
  }

  /** Takes back the piece at `offset` of `slab` leased by {@link allocate} for `size` bytes. */
  free(slab: Slab, offset: number, size: number): void {
    const c = classOf(size);
    const pieceBytes = MIN_PIECE_BYTES << c;
    const full = (1 << (PAGE_BYTES / pieceBytes)) - 1;
    const page = offset - (offset % PAGE_BYTES);
    const masks = slab.pieceMasks!;
    const before = masks.get(page)!;
    const mask = before & ~(1 << ((offset - page) / pieceBytes));
    this.#pieces--;
    const slabs = this.#partialSlabs[c]!;
    const offsets = this.#partialOffsets[c]!;
    if (mask === 0) {
      masks.delete(page);
      if (before !== full) this.#unlist(slabs, offsets, slab, page);
      this.#pages--;
      this.#pool.free(slab, page, PAGE_BYTES);
      return;
    }
    masks.set(page, mask);
    if (before === full) {
      slabs.push(slab);
      offsets.push(page);
    }
  }

  /** Removes the page at `page` of `slab` from a class's list of pages with free pieces. */
  #unlist(slabs: Slab[], offsets: number[], slab: Slab, page: number): void {
    for (let i = slabs.length - 1; i >= 0; i--) {
      if (slabs[i] === slab && offsets[i] === page) {
        slabs.splice(i, 1);
        offsets.splice(i, 1);
        return;
      }
    }
  }
}

/** The pieces every arena of the process leases its small chunks from. */
export const pagePieces: PagePieces = new PagePieces(slabPool);
