/**
 * Which C allocator the process runs on, and what the arena pool holds: the figures memstats
 * shows next to RSS. The allocator matters because it decides whether freed native memory (Node's
 * own Buffers, not the store's chunks, which come from {@link SlabPool} slabs outside `malloc`)
 * goes back to the operating system: glibc keeps freed small blocks in its heap and raises its
 * mmap threshold as large blocks are freed; musl, jemalloc, tcmalloc and mimalloc behave
 * differently. See docs/memory-store.md, "Giving memory back".
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { type SlabPoolSnapshot, slabPool } from './slab-pool.ts';

/** The C allocator names {@link allocatorReport} can report. */
export type AllocatorName = 'glibc' | 'musl' | 'jemalloc' | 'tcmalloc' | 'mimalloc' | 'unknown';

/** The allocator the process runs on, and how that was found. */
export interface AllocatorInfo {
  /** The allocator's name. */
  readonly name: AllocatorName;
  /** Its version where known (glibc's runtime version), else undefined. */
  readonly version: string | undefined;
  /** Where the name came from: `LD_PRELOAD`, `/proc/self/maps`, `process.report` or `platform`. */
  readonly detectedBy: 'LD_PRELOAD' | '/proc/self/maps' | 'process.report' | 'platform';
  /**
   * glibc malloc tunables set in the environment (`MALLOC_MMAP_THRESHOLD_`,
   * `MALLOC_TRIM_THRESHOLD_`, `MALLOC_ARENA_MAX`, `GLIBC_TUNABLES`), as given.
   */
  readonly tunables: Readonly<Record<string, string>>;
}

/** What {@link allocatorReport} returns. */
export interface AllocatorReport {
  /** The C allocator. */
  readonly allocator: AllocatorInfo;
  /** The arena pool every store's chunks are leased from (bytes). */
  readonly arena: SlabPoolSnapshot;
  /**
   * Bytes the C allocator holds free but has not returned to the operating system, when it can
   * be measured (needs a native `mallinfo2`, which tiercache does not ship): otherwise null, and
   * memstats derives it as RSS minus everything named, labelled as derived.
   */
  readonly allocatorRetainedBytes: number | null;
}

const PRELOADED: readonly [RegExp, AllocatorName][] = [
  [/jemalloc/i, 'jemalloc'],
  [/tcmalloc/i, 'tcmalloc'],
  [/mimalloc/i, 'mimalloc'],
];

const TUNABLES = [
  'MALLOC_MMAP_THRESHOLD_',
  'MALLOC_TRIM_THRESHOLD_',
  'MALLOC_TOP_PAD_',
  'MALLOC_ARENA_MAX',
  'GLIBC_TUNABLES',
] as const;

let detected: AllocatorInfo | undefined;

function glibcRuntimeVersion(): string | undefined {
  // process.report builds a whole diagnostic report (a few ms): done once per process.
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } };
  return report?.header?.glibcVersionRuntime;
}

function mappedLibraries(): string {
  try {
    return readFileSync('/proc/self/maps', 'latin1');
  } catch {
    return '';
  }
}

function detect(): AllocatorInfo {
  const tunables: Record<string, string> = {};
  for (const name of TUNABLES) {
    const value = process.env[name];
    if (value !== undefined) tunables[name] = value;
  }
  const base = { tunables: Object.freeze(tunables) };
  const preload = process.env.LD_PRELOAD ?? '';
  for (const [pattern, name] of PRELOADED) {
    if (pattern.test(preload)) {
      return { name, version: undefined, detectedBy: 'LD_PRELOAD', ...base };
    }
  }
  if (process.platform !== 'linux') {
    return { name: 'unknown', version: undefined, detectedBy: 'platform', ...base };
  }
  // A replacement allocator linked in (not preloaded) shows up among the mapped libraries.
  const maps = mappedLibraries();
  for (const [pattern, name] of PRELOADED) {
    if (pattern.test(maps)) {
      return { name, version: undefined, detectedBy: '/proc/self/maps', ...base };
    }
  }
  if (/ld-musl|libc\.musl/.test(maps)) {
    return { name: 'musl', version: undefined, detectedBy: '/proc/self/maps', ...base };
  }
  const glibc = glibcRuntimeVersion();
  if (glibc !== undefined) {
    return { name: 'glibc', version: glibc, detectedBy: 'process.report', ...base };
  }
  return { name: 'unknown', version: undefined, detectedBy: 'process.report', ...base };
}

/** The C allocator of this process (detected once, then cached). */
export function detectAllocator(): AllocatorInfo {
  detected ??= Object.freeze(detect());
  return detected;
}

/**
 * The allocator the process runs on plus the arena pool's figures (leased, committed and
 * retained bytes): what memstats reports about native memory the heap profile cannot see.
 */
export function allocatorReport(): AllocatorReport {
  return Object.freeze({
    allocator: detectAllocator(),
    arena: slabPool.snapshot(),
    allocatorRetainedBytes: null,
  });
}
