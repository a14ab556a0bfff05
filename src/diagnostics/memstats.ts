import v8 from 'node:v8';
import { type StoreSiteTotals, storeSites } from '../memory/registry.ts';
import { type EventLoopDelayStats, eventLoopDelay } from './event-loop-delay.ts';
import { type GcStats, gcStats } from './gc-stats.ts';
import { type HeapSamplerState, heapSamplerState } from './heap-profiler.ts';
import { type LeakWatchState, leakWatchState } from './leak-watch-state.ts';
import { accountRss, type RssAccount, readRssInputs } from './rss-account.ts';
import {
  type BudgetInfo,
  budgets,
  type CacheInfo,
  liveCaches,
  liveStores,
  type StoreInfo,
} from './sources.ts';

/** One V8 heap space (new, old, code, large object, ...), bytes. */
export interface HeapSpace {
  name: string;
  sizeBytes: number;
  usedBytes: number;
  availableBytes: number;
  physicalBytes: number;
}

/**
 * The `runtime.MemStats` of a Node process plus what heap profiles cannot name: every byte
 * figure is in bytes, every duration in milliseconds.
 */
export interface Memstats {
  /** When the report was taken, ISO 8601. */
  time: string;
  pid: number;
  node: string;
  uptimeSeconds: number;
  /** `process.memoryUsage()`: rss, heapTotal, heapUsed, external, arrayBuffers. */
  memory: NodeJS.MemoryUsage;
  /**
   * Where the resident set goes: file-backed pages, the JS heap by space, stores by creation
   * site, other Buffers, V8 malloced, the allocator, and the derived remainder, with the share
   * of RSS this report names.
   */
  rss: RssAccount;
  /** `v8.getHeapStatistics()`, keys in camelCase. */
  heap: Record<string, number>;
  heapSpaces: HeapSpace[];
  gc: GcStats;
  /** Undefined until diagnostics are enabled (the monitor starts with them). */
  eventLoopDelay: EventLoopDelayStats | undefined;
  /** Active libuv resources by type (`TCPSocketWrap`, `Timeout`, ...): the `lsof` stand-in. */
  resources: {
    total: number;
    sockets: number;
    servers: number;
    timers: number;
    byType: Record<string, number>;
  };
  /** Every live MemoryStore and their totals: the bytes a heap profile lumps into `(external)`. */
  stores: {
    count: number;
    entries: number;
    usedBytes: number;
    reservedBytes: number;
    list: StoreInfo[];
    /** The live stores summed by creation site (paths relative to the working directory), most reserved first. */
    sites: StoreSiteTotals[];
  };
  /** The process memory budget the stores share (cap, reserved bytes, store count). */
  budgets: BudgetInfo[];
  /** Every live TieredCache's stats. */
  caches: CacheInfo[];
  heapSampler: HeapSamplerState;
  /** The running LeakWatches and their recent alarms. */
  leakWatch: LeakWatchState;
}

/**
 * Takes the report now. No heap walk; `detail: 'full'` (the default) also reads
 * `/proc/self/smaps` to measure V8's free pages, which takes tens of milliseconds in a large
 * process: per-second samplers pass `detail: 'status'`.
 */
export function collectMemstats(options: { detail?: 'full' | 'status' } = {}): Memstats {
  const stores = liveStores();
  const sites = storeSites();
  const inputs = readRssInputs({ detail: options.detail ?? 'full' });
  return {
    time: new Date().toISOString(),
    pid: process.pid,
    node: process.version,
    uptimeSeconds: process.uptime(),
    memory: inputs.memory,
    rss: accountRss({ ...inputs, sites }),
    heap: camelCaseKeys(v8.getHeapStatistics() as unknown as Record<string, number>),
    heapSpaces: v8.getHeapSpaceStatistics().map((s) => ({
      name: s.space_name,
      sizeBytes: s.space_size,
      usedBytes: s.space_used_size,
      availableBytes: s.space_available_size,
      physicalBytes: s.physical_space_size,
    })),
    gc: gcStats(),
    eventLoopDelay: eventLoopDelay(),
    resources: activeResources(),
    stores: {
      count: stores.length,
      entries: sum(stores, (s) => s.size),
      usedBytes: sum(stores, (s) => s.usedBytes),
      reservedBytes: sum(stores, (s) => s.reservedBytes),
      list: stores,
      sites,
    },
    budgets: budgets(),
    caches: liveCaches(),
    heapSampler: heapSamplerState(),
    leakWatch: leakWatchState(),
  };
}

function activeResources(): Memstats['resources'] {
  const byType: Record<string, number> = {};
  const names = process.getActiveResourcesInfo();
  for (const name of names) byType[name] = (byType[name] ?? 0) + 1;
  const count = (match: (name: string) => boolean) =>
    names.reduce((n, name) => (match(name) ? n + 1 : n), 0);
  return {
    total: names.length,
    // TCPSocketWrap / PipeWrap are connections; *ServerWrap are listening sockets.
    sockets: count((n) => n === 'TCPSocketWrap' || n === 'PipeWrap' || n === 'UDPWrap'),
    servers: count((n) => n.endsWith('ServerWrap')),
    timers: count((n) => n === 'Timeout' || n === 'Immediate'),
    byType,
  };
}

function camelCaseKeys(record: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(record)) {
    out[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  return out;
}

function sum<T>(items: readonly T[], pick: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += pick(item);
  return total;
}
