/**
 * Detects the C allocator the process runs on (glibc with its version, musl, or jemalloc,
 * tcmalloc or mimalloc preloaded or linked in) and the glibc malloc tunables set in the
 * environment. Detected once per process.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

/** The C allocator names the detection can report. */
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
