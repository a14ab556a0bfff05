/**
 * The live-store registry: which MemoryStores exist, where they were created, and what they
 * hold. It keeps only `WeakRef`s to stores. A `FinalizationRegistry` settles a store dropped
 * without `close()`: its budget reservation (held in a small account object the store and the
 * registry share, never the store itself) goes back, its sweep timer stops, its site count drops.
 *
 * When more than {@link manyStoresThreshold} live stores come from one creation site, it emits
 * one `TIERCACHE_MANY_STORES` process warning for that site: the story's bug (a cache per room)
 * caught the moment it happens. The warning re-arms once the site's count drops below the
 * threshold again, so a second episode warns too.
 *
 * Each store also keeps the call stack that created it (captured once at construction, interned
 * per distinct stack), so heap profiles can show a store's bytes at the function that created it.
 *
 * @module
 */
import { relative, sep } from 'node:path';
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
  /**
   * The first stack frame outside tiercache's store-creating code (`memory/`, `tiered/`), with
   * paths relative to the working directory, e.g. `Room.init (src/room.ts:40:18)`.
   */
  readonly createdBy: string;
}

/** One frame of a creation stack, positions as V8 reports them (0-based line and column). */
export interface CreationFrame {
  /** `createOwnCache`, `Room.init`, `new Room`, or `(anonymous src/room.ts:12)`. */
  readonly functionName: string;
  /** The script as V8 names it: a `file://` URL for ES modules, a path otherwise. */
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

/** The call stack that created stores, innermost frame first; one object per distinct stack. */
export interface CreationStack {
  /** The creation site (`createdBy`) of the stores created by this stack. */
  readonly site: string;
  /** Frames from the first one outside tiercache's store-creating code outwards. */
  readonly frames: readonly CreationFrame[];
}

/** Live stores of one creation site, summed. */
export interface StoreSiteTotals {
  readonly site: string;
  readonly stores: number;
  readonly entries: number;
  readonly usedBytes: number;
  readonly reservedBytes: number;
}

/** Live stores created by one call stack, summed: what a heap profile's synthetic sample shows. */
export interface StoreStackTotals {
  readonly stack: CreationStack;
  readonly stores: number;
  readonly reservedBytes: number;
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
  /** The stack that created the store; set by {@link registerStore}. */
  stack?: CreationStack | undefined;
}

/** Default of {@link manyStoresThreshold}. */
export const DEFAULT_MANY_STORES_THRESHOLD = 64;

const records = new Set<StoreRecord>();
/**
 * Live stores per creation site; the entry also holds the one copy of the site's text, and
 * whether the site has warned since it last went below the threshold.
 */
const sites = new Map<string, { readonly site: string; live: number; warned: boolean }>();
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
/** Interned creation stacks by the raw positions of their frames. */
const stacks = new Map<string, CreationStack>();
const MAX_FORMATTED_SITES = 4096;
/** Frames kept of a creation stack: enough for a service's call path, cheap to capture. */
const MAX_STACK_FRAMES = 24;
/** The stack {@link creationSite} saw last, picked up by the {@link registerStore} that follows. */
let pendingStack: CreationStack | undefined;

/**
 * The first stack frame outside tiercache's store-creating code (`memory/`, `tiered/`): where
 * the caller created a store, as Node prints it (source-mapped when source maps are on), with
 * paths relative to the working directory. `below` is the function whose caller to start from
 * (the store's constructor). The whole stack from that frame out is remembered for the
 * {@link registerStore} call that follows, which attaches it to the store's record.
 *
 * Formatting a stack trace costs kilobytes of garbage, which 10,000 stores from one loop turn
 * into megabytes of resident memory; so the frames are read as structured call sites (one
 * capture of at most 24 frames), and the formatted site text and the interned stack are
 * produced once per distinct site and stack and reused.
 */
// biome-ignore lint/complexity/noBannedTypes: captureStackTrace takes any function.
export function creationSite(below: Function): string {
  const frames = captureStack(below, MAX_STACK_FRAMES, structured) as NodeJS.CallSite[];
  let first = -1;
  for (let i = 0; i < frames.length; i++) {
    if (!isLibraryFile(frames[i]!.getFileName() ?? '')) {
      first = i;
      break;
    }
  }
  if (first < 0) {
    pendingStack = undefined;
    return '<unknown>';
  }
  const position = positionOf(frames[first]!);
  let text = formattedSites.get(position);
  if (text === undefined) {
    const lines = String(captureStack(below, first + 1, undefined)).split('\n');
    // Copied, so that the site does not keep the whole stack text alive.
    text = relativeToCwd(
      Buffer.from((lines[first + 1] ?? '').trim().replace(/^at /, '')).toString(),
    );
    if (formattedSites.size >= MAX_FORMATTED_SITES) formattedSites.clear();
    formattedSites.set(position, text);
  }
  let key = position;
  for (let i = first + 1; i < frames.length; i++) key += `|${positionOf(frames[i]!)}`;
  let stack = stacks.get(key);
  if (stack === undefined) {
    stack = Object.freeze({
      site: text,
      frames: Object.freeze(frames.slice(first).map(frameOf)),
    });
    if (stacks.size >= MAX_FORMATTED_SITES) stacks.clear();
    stacks.set(key, stack);
  }
  pendingStack = stack;
  return text;
}

function positionOf(frame: NodeJS.CallSite): string {
  return `${frame.getFileName() ?? ''}:${frame.getLineNumber()}:${frame.getColumnNumber()}`;
}

function frameOf(frame: NodeJS.CallSite): CreationFrame {
  const url = frame.getFileName() ?? '';
  const line = frame.getLineNumber() ?? 1;
  const fn = frame.getFunctionName();
  const type = frame.getTypeName();
  let functionName: string;
  if (fn === null || fn === '') {
    functionName = `(anonymous ${relativeToCwd(url)}:${line})`;
  } else if (frame.isConstructor()) {
    functionName = `new ${fn}`;
  } else if (!frame.isToplevel() && type !== null && type !== 'Object' && !fn.includes('.')) {
    functionName = `${type}.${fn}`;
  } else {
    functionName = fn;
  }
  return Object.freeze({
    functionName,
    url,
    lineNumber: line - 1,
    columnNumber: (frame.getColumnNumber() ?? 1) - 1,
  });
}

/**
 * Rewrites absolute paths and `file://` URLs under the working directory as paths relative to
 * it, so sites read the same on every machine (`service/cache/profile-cache.ts:92:17`).
 */
export function relativeToCwd(text: string): string {
  const cwd = process.cwd();
  const root = cwd.endsWith(sep) ? cwd : `${cwd}${sep}`;
  const url = `file://${root.split(sep).join('/')}`;
  return text.split(url).join('').split(root).join('');
}

/** Relative path of a script (path or `file://` URL) when it lies under the working directory. */
export function relativeFile(file: string): string {
  let path = file;
  if (file.startsWith('file://')) {
    try {
      path = fileURLToPath(file);
    } catch {
      return file;
    }
  }
  if (!path.startsWith(sep)) return file;
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
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
  if (pendingStack !== undefined && pendingStack.site === record.createdBy) {
    record.stack = pendingStack;
  }
  pendingStack = undefined;
  let site = sites.get(record.createdBy);
  if (site === undefined) {
    site = { site: record.createdBy, live: 0, warned: false };
    sites.set(record.createdBy, site);
  }
  const live = ++site.live;
  if (live > threshold && !site.warned) {
    site.warned = true;
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
  if (site === undefined) return;
  site.live -= 1;
  if (site.live === 0) sites.delete(record.createdBy);
  // Below the threshold again: the next time the site goes over it, it warns again.
  else if (site.live < threshold) site.warned = false;
}

/** The live stores summed by creation site, most reserved bytes first. */
export function storeSites(): StoreSiteTotals[] {
  const totals = new Map<
    string,
    { site: string; stores: number; entries: number; usedBytes: number; reservedBytes: number }
  >();
  for (const record of records) {
    const store = record.ref.deref();
    if (store === undefined) continue;
    let t = totals.get(record.createdBy);
    if (t === undefined) {
      t = { site: record.createdBy, stores: 0, entries: 0, usedBytes: 0, reservedBytes: 0 };
      totals.set(record.createdBy, t);
    }
    t.stores += 1;
    t.entries += store.size;
    t.usedBytes += store.usedBytes;
    t.reservedBytes += store.reservedBytes;
  }
  return [...totals.values()].sort((a, b) => b.reservedBytes - a.reservedBytes);
}

/** The live stores summed by the call stack that created them (stores without one are left out). */
export function storeStacks(): StoreStackTotals[] {
  const totals = new Map<
    CreationStack,
    { stack: CreationStack; stores: number; reservedBytes: number }
  >();
  for (const record of records) {
    const store = record.ref.deref();
    if (store === undefined || record.stack === undefined) continue;
    let t = totals.get(record.stack);
    if (t === undefined) {
      t = { stack: record.stack, stores: 0, reservedBytes: 0 };
      totals.set(record.stack, t);
    }
    t.stores += 1;
    t.reservedBytes += store.reservedBytes;
  }
  return [...totals.values()];
}
