import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { type StoreSiteTotals, storeSites } from '../memory/registry.ts';
import { type AllocatorFigures, allocatorFigures } from './allocator-figures.ts';

/** One part of a slice (a heap space, a creation site), bytes. */
export interface RssPart {
  label: string;
  bytes: number;
  /** For a creation site: what its stores reserve (`bytes` is the resident part of it). */
  reservedBytes?: number;
}

/** One slice of the resident set, bytes. */
export interface RssSlice {
  /** Stable key: `file`, `jsHeap`, `v8PagePool`, `stores`, `chunkPool`, `otherBuffers`, `otherExternal`, `v8Malloced`, `nativeMalloc`, `allocatorRetained`, `unattributed`. */
  key: string;
  /** What the bytes are, for people. */
  label: string;
  bytes: number;
  /**
   * `named`: measured and owned by something this report can name. `derived`: what is left of
   * RSS once everything named is taken out; never counted as named.
   */
  kind: 'named' | 'derived';
  /** Where the figure comes from: `/proc/self/status`, `/proc/self/smaps`, `v8`, `registry`, `allocator`, `rss minus named`. */
  source: string;
  /** The slice by heap space, by creation site, ... where it has parts. */
  parts?: RssPart[];
}

/** Where a process's resident memory goes, slice by slice; every figure in bytes. */
export interface RssAccount {
  rssBytes: number;
  /** Resident pages backed by files (the node binary, shared libraries, mapped files) and shmem; undefined without `/proc`. */
  fileBackedBytes: number | undefined;
  /** Resident anonymous pages (heaps, stacks, Buffers); undefined without `/proc`. */
  anonymousBytes: number | undefined;
  /** `full` read `/proc/self/smaps` (V8's free pages and the malloc heaps measured); `status` did not. */
  detail: 'full' | 'status' | 'none';
  /** The allocator that runs and what it reports, when `tiercache/memory` can tell. */
  allocator: AllocatorFigures | undefined;
  /** The slices, file-backed first, the derived remainder last; they sum to `rssBytes` (plus `overcountBytes`). */
  slices: RssSlice[];
  /** Sum of the named slices, at most `rssBytes`. */
  namedBytes: number;
  /**
   * How far the named slices exceed RSS (0 when they do not): bytes counted as allocated that are
   * not resident, such as reserved pages never written. The slices then sum to `rssBytes` plus
   * this.
   */
  overcountBytes: number;
  /** `namedBytes / rssBytes`, 0..1. */
  namedShare: number;
  /** Bytes of anonymous memory in malloc heaps (`[heap]` and glibc's thread arenas), when `detail` is `full`. */
  mallocHeapBytes: number | undefined;
}

/** What {@link accountRss} needs; {@link readRssInputs} reads it from the process. */
export interface RssInputs {
  memory: NodeJS.MemoryUsage;
  heapSpaces: readonly { name: string; physicalBytes: number }[];
  mallocedBytes: number;
  sites: readonly StoreSiteTotals[];
  allocator: AllocatorFigures | undefined;
  status: ProcStatus | undefined;
  smaps: SmapsFigures | undefined;
}

/** The resident-set lines of `/proc/self/status`, bytes. */
export interface ProcStatus {
  rss: number;
  anon: number;
  file: number;
  shmem: number;
}

/** What `/proc/self/smaps` tells about V8's pages and the malloc heaps, bytes resident. */
export interface SmapsFigures {
  /** Anonymous 256 KiB mappings at 256 KiB alignment: V8's regular heap pages. */
  v8PagesBytes: number;
  /** `[heap]` (brk) plus glibc's thread arenas. */
  mallocHeapBytes: number;
  /** Every other anonymous mapping: arena slabs, V8 large-object and code pages, stacks, mmapped blocks. */
  otherAnonBytes: number;
}

const V8_PAGE = 256 * 1024;
const GLIBC_ARENA_ALIGN = 64 * 1024 * 1024;

/**
 * Reads the process now. `detail: 'full'` also uses `/proc/self/smaps`, walked at most once per
 * {@link SMAPS_MAX_AGE_MS} (a walk takes tens of milliseconds in a large process), so its
 * figures may be up to 5 s old while the rest is current.
 */
export function readRssInputs(options: { detail?: 'full' | 'status' } = {}): RssInputs {
  const status = readStatus();
  const heapSpaces = v8
    .getHeapSpaceStatistics()
    .map((s) => ({ name: s.space_name, physicalBytes: s.physical_space_size }));
  const heap = heapSpaces.reduce((total, s) => total + s.physicalBytes, 0);
  return {
    memory: process.memoryUsage(),
    heapSpaces,
    mallocedBytes: v8.getHeapStatistics().malloced_memory,
    sites: storeSites(),
    allocator: allocatorFigures(),
    status,
    smaps:
      options.detail === 'full' && status !== undefined ? recentSmaps(status.rss, heap) : undefined,
  };
}

/** How long one smaps walk serves full reports (it costs tens of ms in a large process). */
export const SMAPS_MAX_AGE_MS = 5_000;
let lastSmaps:
  | { at: number; rss: number; heap: number; figures: SmapsFigures | undefined }
  | undefined;
const SMAPS_MOVED_BYTES = 1024 * 1024;

/**
 * The smaps figures, walked again when the last walk is older than {@link SMAPS_MAX_AGE_MS} or
 * RSS or the JS heap's resident size has moved by more than 1 MiB since (a GC or new stores make
 * old figures name pages that are gone, or miss new ones).
 */
function recentSmaps(rss: number, heap: number): SmapsFigures | undefined {
  const now = Date.now();
  const last = lastSmaps;
  if (
    last === undefined ||
    now - last.at > SMAPS_MAX_AGE_MS ||
    Math.abs(rss - last.rss) > SMAPS_MOVED_BYTES ||
    Math.abs(heap - last.heap) > SMAPS_MOVED_BYTES
  ) {
    lastSmaps = { at: now, rss, heap, figures: readSmaps() };
  }
  return lastSmaps!.figures;
}

/** Takes the account now; see {@link readRssInputs} for `detail`. */
export function collectRssAccount(options: { detail?: 'full' | 'status' } = {}): RssAccount {
  return accountRss(readRssInputs(options));
}

/**
 * Splits RSS into named slices and one derived remainder. Named: file-backed pages; the JS heap
 * by space; V8's free heap pages (with smaps); every store's reserved bytes by creation site;
 * the chunk pool; other Buffers; other external memory; V8's malloced memory; and, when the
 * allocator measures them, native malloc in use and allocator-retained free memory. The
 * remainder is labelled as derived (RSS minus everything named) and is never counted as named.
 */
export function accountRss(input: RssInputs): RssAccount {
  const { memory, status, smaps, allocator } = input;
  const rss = status?.rss ?? memory.rss;
  const slices: RssSlice[] = [];
  const named = (slice: Omit<RssSlice, 'kind'>) => {
    if (slice.bytes > 0 || slice.key === 'jsHeap') slices.push({ ...slice, kind: 'named' });
  };
  if (status !== undefined) {
    named({
      key: 'file',
      label: 'file-backed: the node binary, shared libraries, mapped files',
      bytes: status.file + status.shmem,
      source: '/proc/self/status',
    });
  }
  const spaces = input.heapSpaces.filter((s) => s.physicalBytes > 0);
  const heapBytes = sum(spaces, (s) => s.physicalBytes);
  named({
    key: 'jsHeap',
    label: 'JS heap (resident, by space)',
    bytes: heapBytes,
    source: 'v8',
    parts: spaces.map((s) => ({ label: s.name, bytes: s.physicalBytes })),
  });
  if (smaps !== undefined) {
    // Large-object pages are not 256 KiB mappings: compare against the paged spaces only.
    const paged = sum(
      spaces.filter((s) => !s.name.includes('large_object')),
      (s) => s.physicalBytes,
    );
    named({
      key: 'v8PagePool',
      label: 'V8 heap pages held free for reuse',
      bytes: Math.max(0, smaps.v8PagesBytes - paged),
      source: '/proc/self/smaps',
    });
  }
  const reservedBytes = sum(input.sites, (s) => s.reservedBytes);
  const poolReserved = allocator?.poolRetainedBytes ?? 0;
  // Store chunks live in slabs V8 maps outside the malloc heap and outside `arrayBuffers`, and
  // a page of a slab is resident only once written: a preallocated store reserves far more than
  // it makes resident. With smaps, stores and pool are capped by the anonymous memory outside
  // V8's pages and the malloc heaps (less the large-object pages, which live there too), and
  // scaled down together; without smaps they count as reserved (see `overcountBytes`).
  // Under the `buffers` arena backend (or before slabs), chunks are malloc'd Buffers inside
  // `arrayBuffers` and resident as reserved: no cap, and not counted twice.
  const chunksInArrayBuffers = allocator?.chunksInArrayBuffers ?? true;
  const otherBuffers = Math.max(
    0,
    memory.arrayBuffers - (chunksInArrayBuffers ? reservedBytes + poolReserved : 0),
  );
  const largeObjects = sum(
    spaces.filter((s) => s.name.includes('large_object')),
    (s) => s.physicalBytes,
  );
  // malloc's own mmapped blocks are anonymous mappings too; they are named below, not here.
  const cap =
    smaps === undefined || chunksInArrayBuffers
      ? Number.POSITIVE_INFINITY
      : Math.max(0, smaps.otherAnonBytes - largeObjects - (allocator?.mallocMmappedBytes ?? 0));
  const held = reservedBytes + poolReserved;
  const scale = held > cap ? cap / held : 1;
  const storeBytes = Math.round(reservedBytes * scale);
  named({
    key: 'stores',
    label:
      scale < 1
        ? 'MemoryStores (resident part of the reserved bytes, by creation site)'
        : 'MemoryStores (reserved, by creation site)',
    bytes: storeBytes,
    source: scale < 1 ? 'registry, capped by /proc/self/smaps' : 'registry',
    parts: input.sites.map((s) => ({
      label: `${s.site} (${s.stores} ${s.stores === 1 ? 'store' : 'stores'})`,
      bytes: Math.round(s.reservedBytes * scale),
      reservedBytes: s.reservedBytes,
    })),
  });
  named({
    key: 'chunkPool',
    label: 'arena slab pages no store leases (kept for reuse)',
    bytes: Math.round(poolReserved * scale),
    source: 'allocator',
  });
  named({
    key: 'otherBuffers',
    label: 'Buffers and typed arrays',
    bytes: otherBuffers,
    source: 'v8',
  });
  // V8 counts every mmapped slab (`mapped` backend) in `external` at its full size, resident or
  // not: those slabs are the stores and the pool above, not other external memory. A slab the
  // pool has dropped (its pages already discarded) and a dedicated one stay in `external` until
  // V8 collects them; with malloc's figures the slice is capped by what malloc holds besides
  // Buffers and V8's own, since other external memory is malloc'd.
  const inUse = allocator?.inUseBytes;
  let otherExternal = Math.max(
    0,
    memory.external - memory.arrayBuffers - (allocator?.mappedSlabBytes ?? 0),
  );
  if (inUse !== undefined) {
    otherExternal = Math.min(
      otherExternal,
      Math.max(0, inUse - memory.arrayBuffers - input.mallocedBytes),
    );
  }
  named({
    key: 'otherExternal',
    label: 'other external memory (external strings, native objects V8 is told of)',
    bytes: otherExternal,
    source: inUse === undefined ? 'v8' : 'v8, capped by allocator',
  });
  named({
    key: 'v8Malloced',
    label: 'V8 malloced (compiler zones, internal tables)',
    bytes: input.mallocedBytes,
    source: 'v8',
  });
  if (inUse !== undefined) {
    // Everything malloc handed out that the slices above do not already hold.
    named({
      key: 'nativeMalloc',
      label: 'native malloc in use (libraries: SQLite, OpenSSL, libuv, ...)',
      bytes: Math.max(0, inUse - memory.arrayBuffers - otherExternal - input.mallocedBytes),
      source: 'allocator',
    });
  }
  if (allocator?.retainedBytes !== undefined) {
    // Free blocks whose pages a `malloc_trim` gave back still count as free in `mallinfo2`:
    // with smaps, the resident part is at most what the malloc heaps hold beyond blocks in use.
    const heapInUse = (inUse ?? 0) - (allocator.mallocMmappedBytes ?? 0);
    const retained =
      smaps === undefined || inUse === undefined
        ? allocator.retainedBytes
        : Math.min(allocator.retainedBytes, Math.max(0, smaps.mallocHeapBytes - heapInUse));
    named({
      key: 'allocatorRetained',
      label: `free memory ${allocator.name} keeps and has not returned`,
      bytes: retained,
      source:
        retained < allocator.retainedBytes ? 'allocator, capped by /proc/self/smaps' : 'allocator',
    });
  }
  const namedTotal = sum(slices, (s) => s.bytes);
  const namedBytes = Math.min(rss, namedTotal);
  const rest = rss - namedBytes;
  if (rest > 0) {
    slices.push({
      key: 'unattributed',
      label:
        allocator?.retainedBytes === undefined
          ? 'allocator-retained and other native memory (derived: RSS minus everything named)'
          : 'unattributed native memory (derived: RSS minus everything named)',
      bytes: rest,
      kind: 'derived',
      source: 'rss minus named',
    });
  }
  return {
    rssBytes: rss,
    fileBackedBytes: status === undefined ? undefined : status.file + status.shmem,
    anonymousBytes: status?.anon,
    detail: smaps !== undefined ? 'full' : status !== undefined ? 'status' : 'none',
    allocator,
    slices,
    namedBytes,
    overcountBytes: namedTotal - namedBytes,
    namedShare: rss > 0 ? namedBytes / rss : 0,
    mallocHeapBytes: smaps?.mallocHeapBytes,
  };
}

/** `/proc/self/status`'s VmRSS, RssAnon, RssFile, RssShmem; undefined where there is no `/proc`. */
export function readStatus(): ProcStatus | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/status', 'latin1');
  } catch {
    return undefined;
  }
  const kib = (name: string): number | undefined => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    return match === null ? undefined : Number(match[1]) * 1024;
  };
  const rss = kib('VmRSS');
  const anon = kib('RssAnon');
  const file = kib('RssFile');
  if (rss === undefined || anon === undefined || file === undefined) return undefined;
  return { rss, anon, file, shmem: kib('RssShmem') ?? 0 };
}

/** Walks `/proc/self/smaps` once; undefined when it cannot be read. */
export function readSmaps(): SmapsFigures | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'latin1');
  } catch {
    return undefined;
  }
  return parseSmaps(text);
}

/**
 * Parses smaps text: resident bytes of V8's regular pages (anonymous 256 KiB mappings at 256 KiB
 * alignment), of the malloc heaps (`[heap]`, and glibc's thread arenas: a 64 MiB-aligned
 * anonymous mapping whose reservation, with the inaccessible rest that follows it, is 64 MiB),
 * and of every other anonymous mapping (arena slabs, V8's large-object and code pages, thread
 * stacks, malloc's mmapped blocks).
 */
export function parseSmaps(text: string): SmapsFigures {
  const maps: {
    start: number;
    end: number;
    perms: string;
    anonymous: boolean;
    name: string;
    rss: number;
  }[] = [];
  const header = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$/;
  for (const line of text.split('\n')) {
    const h = header.exec(line);
    if (h !== null) {
      const name = h[5]!.trim();
      maps.push({
        start: Number.parseInt(h[1]!, 16),
        end: Number.parseInt(h[2]!, 16),
        perms: h[3]!,
        anonymous: h[4] === '0' && name === '',
        name,
        rss: 0,
      });
    } else if (line.startsWith('Rss:') && maps.length > 0) {
      maps[maps.length - 1]!.rss = Number.parseInt(line.slice(4), 10) * 1024;
    }
  }
  let v8PagesBytes = 0;
  let mallocHeapBytes = 0;
  let otherAnonBytes = 0;
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i]!;
    const size = m.end - m.start;
    if (m.name === '[heap]') {
      mallocHeapBytes += m.rss;
    } else if (!m.anonymous) {
      // file-backed, stacks and vdso: /proc/self/status counts them
    } else if (size === V8_PAGE && m.start % V8_PAGE === 0) {
      v8PagesBytes += m.rss;
    } else if (m.start % GLIBC_ARENA_ALIGN === 0 && isGlibcArena(m, maps[i + 1])) {
      mallocHeapBytes += m.rss;
    } else {
      otherAnonBytes += m.rss;
    }
  }
  return { v8PagesBytes, mallocHeapBytes, otherAnonBytes };
}

/** A glibc thread arena reserves 64 MiB: the part in use, then an inaccessible rest. */
function isGlibcArena(
  m: { start: number; end: number },
  next: { start: number; end: number; perms: string; anonymous: boolean } | undefined,
): boolean {
  if (m.end - m.start === GLIBC_ARENA_ALIGN) return true;
  return (
    next?.anonymous === true &&
    next.perms === '---p' &&
    next.start === m.end &&
    next.end - m.start === GLIBC_ARENA_ALIGN
  );
}

/** `named 96 % of RSS (1.2 GiB of 1.3 GiB)`. */
export function describeShare(account: RssAccount, format: (bytes: number) => string): string {
  return `named ${Math.floor(account.namedShare * 100)} % of RSS (${format(account.namedBytes)} of ${format(account.rssBytes)})`;
}

function sum<T>(items: readonly T[], pick: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += pick(item);
  return total;
}
