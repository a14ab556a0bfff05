/**
 * What memstats shows about native memory: which C allocator the process runs on, the figures
 * of the slab pool every store's chunks are leased from, what the reclaimer did, and, when the
 * native helper is built, glibc's own figures. The allocator matters because it decides whether
 * freed native memory that is not the store's (Node's own Buffers, index tables) goes back to
 * the operating system: glibc keeps freed small blocks in its heap and raises its mmap threshold
 * as large blocks are freed; musl, jemalloc, tcmalloc and mimalloc behave differently. See
 * docs/memory-store.md, "Giving memory back".
 *
 * @module
 */
import { type AllocatorInfo, detectAllocator } from './allocator-detect.ts';
import { type MallocInfo, mallocInfo, nativeMemoryStatus } from './native-memory.ts';
import { type ReclaimSnapshot, reclaimer } from './reclaimer.ts';
import { type SlabPoolSnapshot, slabPool } from './slab-pool.ts';

/** What {@link allocatorReport} returns. */
export interface AllocatorReport {
  /** The C allocator. */
  readonly allocator: AllocatorInfo;
  /** The arena pool every store's chunks are leased from (bytes). */
  readonly arena: SlabPoolSnapshot;
  /** What the reclaimer did after large releases (see docs/memory-store.md). */
  readonly reclaim: ReclaimSnapshot;
  /** Whether the native helper (`malloc_trim`, `mallinfo2`) is loaded, and why not. */
  readonly native: { readonly loaded: boolean; readonly reason: string | undefined };
  /** glibc's `mallinfo2()` when the helper is loaded on glibc, else null. */
  readonly malloc: MallocInfo | null;
  /**
   * Bytes the C allocator holds free but has not returned (`mallinfo2().fordblks`; after a
   * `malloc_trim` some of them are no longer resident), or null when it cannot be measured: then
   * memstats derives it as RSS minus everything named, labelled as derived.
   */
  readonly allocatorRetainedBytes: number | null;
}

/**
 * The allocator the process runs on plus the arena pool's figures (leased, committed and
 * retained bytes) and glibc's free-but-retained bytes when measurable: what memstats reports
 * about native memory the heap profile cannot see.
 */
export function allocatorReport(): AllocatorReport {
  const malloc = mallocInfo();
  return Object.freeze({
    allocator: detectAllocator(),
    arena: slabPool.snapshot(),
    reclaim: reclaimer.snapshot(),
    native: Object.freeze(nativeMemoryStatus()),
    malloc,
    allocatorRetainedBytes: malloc === null ? null : malloc.freeBytes,
  });
}
