/**
 * The optional native helper (`build/tiercache-malloc.node`, compiled from
 * `native/malloc-binding.cc` at install by `scripts/build-native.mjs`): glibc's `malloc_trim` and
 * `mallinfo2`, and V8's memory-pressure notification. Loaded once; when it was not built (no
 * compiler, not Linux, `TIERCACHE_SKIP_NATIVE`), every function here reports that it is missing
 * and the library runs without it.
 *
 * @module
 */
import { createRequire } from 'node:module';

/** glibc `mallinfo2()` figures, in bytes. */
export interface MallocInfo {
  /** The main heap's size (brk and arenas): `arena`. */
  readonly heapBytes: number;
  /** Blocks the allocator mmapped: `hblkhd`. */
  readonly mmappedBytes: number;
  /** Allocated blocks: `uordblks`. */
  readonly inUseBytes: number;
  /** Free blocks the allocator keeps (resident where touched): `fordblks`. */
  readonly freeBytes: number;
  /** Free bytes at the top of the heap that a trim would return at once: `keepcost`. */
  readonly topReleasableBytes: number;
}

/** Environment variable that, set to `off`, keeps the native helper from loading. */
export const NATIVE_ENV = 'TIERCACHE_NATIVE';

interface Binding {
  trim(): boolean | null;
  info(): MallocInfo | null;
  pressure(): void;
  map(bytes: number): ArrayBuffer | undefined;
  discard(buffer: ArrayBuffer, offset: number, length: number): boolean | undefined;
}

let binding: Binding | null | undefined;
let loadError: string | undefined;

function load(): Binding | null {
  if (binding !== undefined) return binding;
  if (process.env[NATIVE_ENV] === 'off') {
    loadError = `${NATIVE_ENV}=off`;
    binding = null;
    return binding;
  }
  try {
    // src/memory and dist/memory are both two levels below the package root.
    binding = createRequire(import.meta.url)('../../build/tiercache-malloc.node') as Binding;
    // A helper built before map/discard existed is not used at all.
    if (typeof binding.map !== 'function') throw new Error('native helper is out of date');
  } catch (error) {
    binding = null;
    loadError = (error as Error).message.split('\n')[0];
  }
  return binding;
}

/** Whether the native helper is loaded, and why not when it is not. */
export function nativeMemoryStatus(): { loaded: boolean; reason: string | undefined } {
  const loaded = load() !== null;
  return { loaded, reason: loaded ? undefined : loadError };
}

/** glibc's `mallinfo2()`, or null without the helper or on another C library. */
export function mallocInfo(): MallocInfo | null {
  return load()?.info() ?? null;
}

/** Runs glibc's `malloc_trim(0)`; true if memory was returned, null when unavailable. */
export function mallocTrim(): boolean | null {
  return load()?.trim() ?? null;
}

/**
 * Tells V8 that memory is under moderate pressure, which starts a memory-reducing collection
 * (incremental, then sweeping, shrinking the young generation); false without the helper.
 */
export function notifyMemoryPressure(): boolean {
  const native = load();
  if (native === null) return false;
  native.pressure();
  return true;
}

/**
 * An ArrayBuffer of `bytes` (a multiple of the page size) mmapped by the helper, outside
 * `malloc`, unmapped when V8 collects it; undefined without the helper or when mmap fails.
 */
export function mapPages(bytes: number): ArrayBuffer | undefined {
  return load()?.map(bytes) ?? undefined;
}

/**
 * Discards the pages `[offset, offset + length)` (page-aligned) of a buffer from
 * {@link mapPages}: they leave RSS at once and read back as zeros. False when not done.
 */
export function discardPages(buffer: ArrayBuffer, offset: number, length: number): boolean {
  return load()?.discard(buffer, offset, length) === true;
}
