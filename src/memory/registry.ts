/**
 * The live-store registry: which MemoryStores exist, where they were created, and what they
 * hold. It keeps only `WeakRef`s to stores. A `FinalizationRegistry` settles a store dropped
 * without `close()`: its budget reservation (held in a small account object the store and the
 * registry share, never the store itself) goes back, its sweep timer stops, its site count drops.
 *
 * When more than {@link manyStoresThreshold} live stores come from one creation site, it emits
 * one `TIERCACHE_MANY_STORES` process warning for that site: the story's bug (a cache per room)
 * caught the moment it happens.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, WarningCodes } from '../errors.ts';
import type { MemoryBudget } from './budget.ts';

/** What the registry lists about a live store. */
export interface MemoryStoreInfo {
  readonly name: string;
  /** Live entries. */
  readonly size: number;
  /** Bytes of live entries, headers included. */
  readonly usedBytes: number;
  /** Bytes held: arena chunks plus index tables. */
  readonly reservedBytes: number;
  /** The store's `maxBytes`. */
  readonly maxBytes: number;
  /** Creation time, ms since the epoch. */
  readonly createdAt: number;
  /** The first stack frame outside tiercache's store-creating code (`memory/`, `tiered/`), e.g. `Room.init (/app/room.ts:40:18)`. */
  readonly createdBy: string;
}

/** The figures a registered store exposes. */
export interface RegisteredStore {
  readonly size: number;
  readonly usedBytes: number;
  readonly reservedBytes: number;
}

/** Bytes a store has reserved from its budget; shared by the store and its registry record. */
export interface BudgetAccount {
  readonly budget: MemoryBudget | null;
  bytes: number;
}

/** The registry's record of one store; holds no strong reference to the store. */
export interface StoreRecord {
  readonly name: string;
  readonly maxBytes: number;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly account: BudgetAccount;
  readonly ref: WeakRef<RegisteredStore>;
  /** The store's sweep timer, stopped when the store is collected. */
  timer: NodeJS.Timeout | undefined;
}

/** Default of {@link manyStoresThreshold}. */
export const DEFAULT_MANY_STORES_THRESHOLD = 64;

const records = new Set<StoreRecord>();
/** Live stores per creation site; the entry also holds the one copy of the site's text. */
const sites = new Map<string, { readonly site: string; live: number }>();
const warnedSites = new Set<string>();
let threshold = DEFAULT_MANY_STORES_THRESHOLD;

const finalizer = new FinalizationRegistry<StoreRecord>(settle);

// Frames in the folders that create stores on a caller's behalf (this one, and the TieredCache's)
// are tiercache's own; the first frame elsewhere is the creation site. Both spellings of a file
// name occur in stacks: a file URL for ES modules, a path otherwise.
const LIBRARY_DIRS = [
  new URL('./', import.meta.url),
  new URL('../tiered/', import.meta.url),
].flatMap((url) => [url.href, fileURLToPath(url)]);

/** Lists the live MemoryStores of this process (closed and collected ones are gone). */
export function memoryStores(): MemoryStoreInfo[] {
  const list: MemoryStoreInfo[] = [];
  for (const record of records) {
    const store = record.ref.deref();
    if (store === undefined) continue;
    list.push(
      Object.freeze({
        name: record.name,
        size: store.size,
        usedBytes: store.usedBytes,
        reservedBytes: store.reservedBytes,
        maxBytes: record.maxBytes,
        createdAt: record.createdAt,
        createdBy: record.createdBy,
      }),
    );
  }
  return list;
}

/** How many live stores one creation site may have before `TIERCACHE_MANY_STORES` fires. */
export function manyStoresThreshold(): number {
  return threshold;
}

/**
 * Sets the number of live stores from one creation site above which a `TIERCACHE_MANY_STORES`
 * warning is emitted (once per site). Default 64; `Infinity` disables the warning.
 */
export function setManyStoresThreshold(value: number): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 1) {
    throw new InvalidArgumentError(
      `manyStoresThreshold must be a number >= 1, got ${String(value)}`,
    );
  }
  threshold = value;
}

/** Formatted creation sites by raw position (`file:line:column` before source maps). */
const formattedSites = new Map<string, string>();
const MAX_FORMATTED_SITES = 4096;

/**
 * The first stack frame outside tiercache's store-creating code (`memory/`, `tiered/`): where
 * the caller created a store, as Node prints it (source-mapped when source maps are on).
 * `below` is the function whose caller to start from (the store's constructor).
 *
 * Formatting a stack trace costs kilobytes of garbage, which 10,000 stores from one loop turn
 * into megabytes of resident memory; so the frames are first read as structured call sites, and
 * the formatted text is produced once per site and reused.
 */
// biome-ignore lint/complexity/noBannedTypes: captureStackTrace takes any function.
export function creationSite(below: Function): string {
  // Usually the constructor's caller is the site: look at a few frames, then at more.
  let frames = captureStack(below, 3, structured) as NodeJS.CallSite[];
  if (frames.every((frame) => isLibraryFile(frame.getFileName() ?? ''))) {
    frames = captureStack(below, 16, structured) as NodeJS.CallSite[];
  }
  for (let i = 0; i < frames.length; i++) {
    const file = frames[i]!.getFileName() ?? '';
    if (isLibraryFile(file)) continue;
    const position = `${file}:${frames[i]!.getLineNumber()}:${frames[i]!.getColumnNumber()}`;
    let text = formattedSites.get(position);
    if (text === undefined) {
      const lines = String(captureStack(below, i + 1, undefined)).split('\n');
      // Copied, so that the site does not keep the whole stack text alive.
      text = Buffer.from((lines[i + 1] ?? '').trim().replace(/^at /, '')).toString();
      if (formattedSites.size >= MAX_FORMATTED_SITES) formattedSites.clear();
      formattedSites.set(position, text);
    }
    return text;
  }
  return '<unknown>';
}

type PrepareStackTrace = (error: Error, callSites: NodeJS.CallSite[]) => unknown;

const structured: PrepareStackTrace = (_error, callSites) => callSites;

/** Captures `depth` frames below `below`, as `prepare` presents them (undefined: Node's text). */
function captureStack(
  // biome-ignore lint/complexity/noBannedTypes: captureStackTrace takes any function.
  below: Function,
  depth: number,
  prepare: PrepareStackTrace | undefined,
): unknown {
  const errorClass = Error as { prepareStackTrace?: PrepareStackTrace };
  const original = errorClass.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    errorClass.prepareStackTrace = prepare;
    Error.stackTraceLimit = depth;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, below);
    return holder.stack ?? [];
  } finally {
    errorClass.prepareStackTrace = original;
    Error.stackTraceLimit = limit;
  }
}

function isLibraryFile(file: string): boolean {
  return (
    file === '' || file.startsWith('node:') || LIBRARY_DIRS.some((dir) => file.startsWith(dir))
  );
}

/** Adds a store; warns when its creation site now has too many live stores. */
export function registerStore(store: RegisteredStore, record: StoreRecord): void {
  records.add(record);
  finalizer.register(store, record, record);
  record.account.budget?.attachStore();
  let site = sites.get(record.createdBy);
  if (site === undefined) {
    site = { site: record.createdBy, live: 0 };
    sites.set(record.createdBy, site);
  }
  const live = ++site.live;
  if (live > threshold && !warnedSites.has(record.createdBy)) {
    warnedSites.add(record.createdBy);
    process.emitWarning(
      `${live} live MemoryStores were created at ${record.createdBy}. Each store holds its own ` +
        'arena and index; one store per room or request multiplies memory. Create one shared ' +
        'store (or TieredCache) and put the room id in the key instead.',
      { code: WarningCodes.MANY_STORES, type: 'TiercacheWarning' },
    );
  }
}

/** Removes a closed store (it has already released its bytes). */
export function unregisterStore(record: StoreRecord): void {
  if (finalizer.unregister(record)) settle(record);
}

function settle(record: StoreRecord): void {
  if (!records.delete(record)) return;
  if (record.timer !== undefined) clearInterval(record.timer);
  record.timer = undefined;
  const { account } = record;
  account.budget?.release(account.bytes);
  account.bytes = 0;
  account.budget?.detachStore();
  const site = sites.get(record.createdBy);
  if (site !== undefined && --site.live === 0) sites.delete(record.createdBy);
}
