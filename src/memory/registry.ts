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
  /** The first stack frame outside tiercache when the store was created, e.g. `Room.init (/app/room.ts:40:18)`. */
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
const liveBySite = new Map<string, number>();
const warnedSites = new Set<string>();
let threshold = DEFAULT_MANY_STORES_THRESHOLD;

const finalizer = new FinalizationRegistry<StoreRecord>(settle);

// Frames under the package's src/ (or dist/) folder are tiercache's own.
const LIBRARY_URL = new URL('..', import.meta.url).href;
const LIBRARY_PATH = fileURLToPath(LIBRARY_URL);

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

/** The first stack frame outside tiercache: where user code created a store. */
export function creationSite(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 32;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  for (const line of stack.split('\n').slice(1)) {
    const frame = line.trim().replace(/^at /, '');
    if (frame.includes(LIBRARY_PATH) || frame.includes(LIBRARY_URL)) continue;
    if (frame.startsWith('node:') || frame.includes('(node:')) continue;
    return frame;
  }
  return '<unknown>';
}

/** Adds a store; warns when its creation site now has too many live stores. */
export function registerStore(store: RegisteredStore, record: StoreRecord): void {
  records.add(record);
  finalizer.register(store, record, record);
  record.account.budget?.attachStore();
  const live = (liveBySite.get(record.createdBy) ?? 0) + 1;
  liveBySite.set(record.createdBy, live);
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
  const live = (liveBySite.get(record.createdBy) ?? 1) - 1;
  if (live > 0) liveBySite.set(record.createdBy, live);
  else liveBySite.delete(record.createdBy);
}
