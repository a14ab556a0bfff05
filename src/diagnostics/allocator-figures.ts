/**
 * What the memory allocator says about itself, as the RSS account uses it. The figures come
 * from `tiercache/memory`'s {@link allocatorReport} (which C allocator runs, what the arena's
 * slab pool keeps committed but unleased, and, where a native binding exists, what the C
 * allocator holds free); this file only adapts that report, it detects nothing itself.
 */
import { allocatorReport, SLAB_BYTES } from '../memory/index.ts';

/** The allocator's figures, bytes; a field is undefined when nothing measures it. */
export interface AllocatorFigures {
  /** `glibc`, `musl`, `jemalloc`, `tcmalloc`, `mimalloc` or `unknown`. */
  name: string;
  /** The allocator's version where known, e.g. `2.36`. */
  version: string | undefined;
  /** Committed arena slab pages no store has leased: kept for reuse, counted in `arrayBuffers`. */
  poolRetainedBytes: number | undefined;
  /** Memory the C allocator holds free but has not returned to the system, measured. */
  retainedBytes: number | undefined;
  /** Memory the C allocator has handed out and not had back (every malloc user), measured. */
  inUseBytes: number | undefined;
  /** Of `inUseBytes`, the blocks malloc mmapped on their own (outside its heaps), measured. */
  mallocMmappedBytes: number | undefined;
  /** True when store chunks are malloc'd Buffers (counted in `arrayBuffers`), false for slabs. */
  chunksInArrayBuffers: boolean;
  /**
   * Address space of the slab pool's mmapped slabs (`mapped` backend; 0 otherwise). V8 counts
   * each such slab in `external` at its full size whether its pages are resident or not; the
   * resident part is what stores lease.
   */
  mappedSlabBytes: number;
}

/** The part of glibc's `mallinfo2()` the account uses: allocated blocks, mmapped blocks. */
interface MallocFigures {
  inUseBytes: number;
  mmappedBytes: number;
}

/** The allocator's figures now, or undefined when the report fails. */
export function allocatorFigures(): AllocatorFigures | undefined {
  try {
    const report = allocatorReport();
    // glibc's mallinfo2(), where tiercache/memory's native helper reports it.
    const malloc: MallocFigures | null = report.malloc;
    return {
      name: report.allocator.name,
      version: report.allocator.version,
      poolRetainedBytes: report.arena.retainedBytes,
      retainedBytes: report.allocatorRetainedBytes ?? undefined,
      inUseBytes: malloc === null ? undefined : malloc.inUseBytes + malloc.mmappedBytes,
      mallocMmappedBytes: malloc === null ? undefined : malloc.mmappedBytes,
      chunksInArrayBuffers: report.arena.backend === 'buffers',
      mappedSlabBytes: report.arena.backend === 'mapped' ? report.arena.slabs * SLAB_BYTES : 0,
    };
  } catch {
    return undefined;
  }
}
