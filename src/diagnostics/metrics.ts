import { createRequire } from 'node:module';
import type { Registry } from 'prom-client';
import { InvalidOptionTypeError, MissingDependencyError } from '../errors.ts';
import { collectMemstats, type Memstats } from './memstats.ts';

type PromClient = typeof import('prom-client');
let promClient: PromClient | undefined;

/**
 * prom-client is an optional peer dependency: it is loaded on first use, so an application that
 * never mounts `/metrics` need not install it. `require` rather than `import()` keeps
 * {@link createMetricsRegistry} synchronous (prom-client is a CommonJS package either way).
 */
function loadPromClient(): PromClient {
  if (promClient !== undefined) return promClient;
  try {
    promClient = createRequire(import.meta.url)('prom-client') as PromClient;
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw err;
    throw new MissingDependencyError(
      'prom-client',
      'The /metrics endpoint (createMetricsRegistry)',
      {
        cause: err,
      },
    );
  }
  return promClient;
}

/**
 * The part of a prom-client `Registry` tiercache uses. Declared here, not imported, so that
 * tiercache's type declarations compile without prom-client installed; any `Registry` fits.
 */
export interface MetricsRegistry {
  /** The Content-Type of {@link MetricsRegistry.metrics}'s text. */
  readonly contentType: string;
  /** Every registered metric in Prometheus text format. */
  metrics(): Promise<string>;
  /** Adds a metric (prom-client calls this for each metric's `registers`). */
  registerMetric(metric: unknown): void;
}

/** Options of {@link createMetricsRegistry}. */
export interface MetricsRegistryOptions<R extends MetricsRegistry = MetricsRegistry> {
  /**
   * A prom-client `Registry` of the application's to add the tiercache metrics to, so one scrape
   * serves both. @default a new Registry of tiercache's own (never prom-client's global one)
   */
  registry?: R;
}

/**
 * How long one memstats snapshot serves the collectors of a scrape: every metric reads the
 * same report instead of each taking its own (v8 heap statistics are not free).
 */
const SNAPSHOT_TTL_MS = 100;

/**
 * Most distinct `store` / `cache` label values a metric carries; the rest fold into
 * {@link OTHER}, so a store or cache per room cannot grow the series count without bound.
 */
const MAX_LABELLED_NAMES = 20;
/** The label value the names beyond the top {@link MAX_LABELLED_NAMES} are summed under. */
const OTHER = 'other';

/**
 * Builds a prom-client `Registry` (its own, never the global one, unless `options.registry`
 * names the application's) exposing the memstats figures
 * in Prometheus form: process and V8 memory, GC, event-loop delay, active resources, the live
 * MemoryStores (summed by store name) and every numeric TieredCache stat. Only the 20 store
 * names holding the most reserved bytes, and the 20 busiest cache names (memory-tier hits +
 * misses), get their own label; the rest are summed under `store="other"` / `cache="other"`,
 * so a store or cache per room does not explode cardinality. Pass `{ registry }` to add them to
 * an application registry. Throws `MissingDependencyError` (`TIERCACHE_MISSING_DEPENDENCY`) when
 * prom-client is not installed.
 */
export function createMetricsRegistry<R extends MetricsRegistry = MetricsRegistry>(
  options: MetricsRegistryOptions<R> = {},
): R {
  const given = options.registry;
  if (
    given !== undefined &&
    (typeof given !== 'object' || given === null || typeof given.registerMetric !== 'function')
  ) {
    throw new InvalidOptionTypeError('registry', 'must be a prom-client Registry');
  }
  const { Counter, Gauge, Registry: PromRegistry } = loadPromClient();
  const registry = (given ?? new PromRegistry()) as unknown as Registry;
  let snapshot: Memstats | undefined;
  let takenAt = 0;
  const stats = (): Memstats => {
    const now = Date.now();
    if (snapshot === undefined || now - takenAt > SNAPSHOT_TTL_MS) {
      snapshot = collectMemstats();
      takenAt = now;
    }
    return snapshot;
  };
  const registers = [registry];

  new Gauge({
    name: 'tiercache_memory_bytes',
    help: 'process.memoryUsage() by kind (rss, heap_total, heap_used, external, array_buffers).',
    labelNames: ['kind'],
    registers,
    collect() {
      const m = stats().memory;
      this.set({ kind: 'rss' }, m.rss);
      this.set({ kind: 'heap_total' }, m.heapTotal);
      this.set({ kind: 'heap_used' }, m.heapUsed);
      this.set({ kind: 'external' }, m.external);
      this.set({ kind: 'array_buffers' }, m.arrayBuffers);
    },
  });
  new Gauge({
    name: 'tiercache_heap_size_limit_bytes',
    help: 'V8 heap size limit (--max-old-space-size and friends).',
    registers,
    collect() {
      this.set(stats().heap.heapSizeLimit ?? 0);
    },
  });
  new Gauge({
    name: 'tiercache_heap_space_used_bytes',
    help: 'Bytes used in each V8 heap space.',
    labelNames: ['space'],
    registers,
    collect() {
      for (const s of stats().heapSpaces) this.set({ space: s.name }, s.usedBytes);
    },
  });
  new Gauge({
    name: 'tiercache_heap_space_size_bytes',
    help: 'Bytes reserved by each V8 heap space.',
    labelNames: ['space'],
    registers,
    collect() {
      for (const s of stats().heapSpaces) this.set({ space: s.name }, s.sizeBytes);
    },
  });
  new Counter({
    name: 'tiercache_gc_collections_total',
    help: 'Garbage collections since diagnostics were enabled, by kind.',
    labelNames: ['kind'],
    registers,
    collect() {
      const gc = stats().gc;
      this.reset();
      for (const kind of ['minor', 'major', 'incremental', 'weakcb'] as const) {
        this.inc({ kind }, gc[kind].count);
      }
    },
  });
  new Counter({
    name: 'tiercache_gc_pause_seconds_total',
    help: 'Total garbage-collection pause since diagnostics were enabled, by kind.',
    labelNames: ['kind'],
    registers,
    collect() {
      const gc = stats().gc;
      this.reset();
      for (const kind of ['minor', 'major', 'incremental', 'weakcb'] as const) {
        this.inc({ kind }, gc[kind].pauseMs / 1000);
      }
    },
  });
  new Gauge({
    name: 'tiercache_event_loop_delay_seconds',
    help: 'Event-loop delay since diagnostics were enabled, by quantile (1 = max).',
    labelNames: ['quantile'],
    registers,
    collect() {
      const d = stats().eventLoopDelay;
      this.reset();
      if (d === undefined) return;
      this.set({ quantile: '0.5' }, d.p50 / 1000);
      this.set({ quantile: '0.9' }, d.p90 / 1000);
      this.set({ quantile: '0.99' }, d.p99 / 1000);
      this.set({ quantile: '1' }, d.max / 1000);
    },
  });
  new Gauge({
    name: 'tiercache_active_resources',
    help: 'Active libuv resources (sockets, servers, timers, ...) by type.',
    labelNames: ['type'],
    registers,
    collect() {
      this.reset();
      for (const [type, n] of Object.entries(stats().resources.byType)) this.set({ type }, n);
    },
  });

  const perStore = (
    name: string,
    help: string,
    pick: (s: Memstats['stores']['list'][number]) => number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['store'],
      registers,
      collect() {
        this.reset();
        const list = stats().stores.list;
        const label = topNames(list, (s) => s.reservedBytes);
        const totals = new Map<string, number>();
        for (const s of list) {
          const store = label(s.name);
          totals.set(store, (totals.get(store) ?? 0) + pick(s));
        }
        for (const [store, value] of totals) this.set({ store }, value);
      },
    });
  perStore('tiercache_stores', 'Live MemoryStores, by store name.', () => 1);
  perStore(
    'tiercache_store_entries',
    'Live entries in MemoryStores, by store name.',
    (s) => s.size,
  );
  perStore(
    'tiercache_store_used_bytes',
    'Bytes of live entries in MemoryStores (headers included), by store name.',
    (s) => s.usedBytes,
  );
  perStore(
    'tiercache_store_reserved_bytes',
    'Bytes held by MemoryStores (arenas and index tables), by store name.',
    (s) => s.reservedBytes,
  );

  new Gauge({
    name: 'tiercache_budget_max_bytes',
    help: 'Cap of each memory budget the stores share.',
    labelNames: ['budget'],
    registers,
    collect() {
      for (const b of stats().budgets) this.set({ budget: b.name }, b.maxBytes);
    },
  });
  new Gauge({
    name: 'tiercache_budget_reserved_bytes',
    help: 'Bytes the stores on each memory budget reserve together.',
    labelNames: ['budget'],
    registers,
    collect() {
      for (const b of stats().budgets) this.set({ budget: b.name }, b.reservedBytes);
    },
  });
  new Gauge({
    name: 'tiercache_cache_stat',
    help: 'Every numeric field of each TieredCache stats() snapshot, by cache and stat.',
    labelNames: ['cache', 'stat'],
    registers,
    collect() {
      this.reset();
      const caches = stats().caches;
      const label = topNames(caches, cacheTraffic);
      for (const cache of caches) {
        for (const [stat, value] of numericFields(cache.stats)) {
          // inc, not set: the folded caches add up under cache="other".
          this.inc({ cache: label(cache.name), stat }, value);
        }
      }
    },
  });
  new Gauge({
    name: 'tiercache_cache_breaker_open',
    help: 'Whether each TieredCache has its Redis circuit breaker open (1) or half-open (0.5); the worst for cache="other".',
    labelNames: ['cache'],
    registers,
    collect() {
      this.reset();
      const caches = stats().caches;
      const label = topNames(caches, cacheTraffic);
      const worst = new Map<string, number>();
      for (const cache of caches) {
        const state = cache.stats.breaker;
        if (state === 'disabled') continue;
        const value = state === 'open' ? 1 : state === 'half-open' ? 0.5 : 0;
        const name = label(cache.name);
        worst.set(name, Math.max(worst.get(name) ?? 0, value));
      }
      for (const [cache, value] of worst) this.set({ cache }, value);
    },
  });
  addRssAndSiteMetrics(registers, stats);
  return registry as unknown as R;
}

/**
 * The RSS account, the stores by creation site and LeakWatch's alarms. Sites are bounded like
 * store names: the 20 sites holding the most reserved bytes keep their label, the rest are
 * summed under `site="other"`.
 */
function addRssAndSiteMetrics(registers: Registry[], stats: () => Memstats): void {
  const { Counter, Gauge } = loadPromClient();
  new Gauge({
    name: 'tiercache_rss_slice_bytes',
    help: 'Where the resident set goes, by slice (file, jsHeap, v8PagePool, stores, otherBuffers, ..., unattributed) and kind (named or derived).',
    labelNames: ['slice', 'kind'],
    registers,
    collect() {
      this.reset();
      for (const slice of stats().rss.slices) {
        this.set({ slice: slice.key, kind: slice.kind }, slice.bytes);
      }
    },
  });
  new Gauge({
    name: 'tiercache_rss_named_ratio',
    help: 'Share of RSS the memstats account names (derived slices excluded), 0..1.',
    registers,
    collect() {
      this.set(stats().rss.namedShare);
    },
  });
  const perSite = (
    name: string,
    help: string,
    pick: (s: Memstats['stores']['sites'][number]) => number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['site'],
      registers,
      collect() {
        this.reset();
        const sites = stats().stores.sites.map((s) => ({ ...s, name: s.site }));
        const label = topNames(sites, (s) => s.reservedBytes);
        const totals = new Map<string, number>();
        for (const s of sites) {
          const site = label(s.name);
          totals.set(site, (totals.get(site) ?? 0) + pick(s));
        }
        for (const [site, value] of totals) this.set({ site }, value);
      },
    });
  perSite('tiercache_site_stores', 'Live MemoryStores, by creation site.', (s) => s.stores);
  perSite(
    'tiercache_site_reserved_bytes',
    'Bytes held by MemoryStores, by creation site.',
    (s) => s.reservedBytes,
  );
  new Counter({
    name: 'tiercache_leak_alarms_total',
    help: 'LeakWatch alarms since the process started, by metric that grew.',
    labelNames: ['metric'],
    registers,
    collect() {
      this.reset();
      for (const [metric, n] of Object.entries(stats().leakWatch.alarmsByMetric)) {
        this.inc({ metric }, n);
      }
    },
  });
  new Gauge({
    name: 'tiercache_leak_watches',
    help: 'Running LeakWatches.',
    registers,
    collect() {
      this.set(stats().leakWatch.running);
    },
  });
}

/**
 * Maps each name to its label: itself for the {@link MAX_LABELLED_NAMES} names with the largest
 * `weight` (summed over items sharing a name), {@link OTHER} for the rest.
 */
function topNames<T extends { name: string }>(
  items: readonly T[],
  weight: (item: T) => number,
): (name: string) => string {
  const totals = new Map<string, number>();
  for (const item of items) totals.set(item.name, (totals.get(item.name) ?? 0) + weight(item));
  if (totals.size <= MAX_LABELLED_NAMES) return (name) => name;
  const kept = new Set(
    [...totals]
      // Ties break by name, so equal-weight names keep the same labels from scrape to scrape.
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, MAX_LABELLED_NAMES)
      .map(([name]) => name),
  );
  return (name) => (kept.has(name) ? name : OTHER);
}

/** How busy a cache is: every get goes through its memory tier. */
function cacheTraffic(cache: Memstats['caches'][number]): number {
  return cache.stats.memory.hits + cache.stats.memory.misses;
}

/** Flattens nested numeric fields of a stats object into `a_b` names. */
function numericFields(value: object, prefix = ''): [string, number][] {
  const out: [string, number][] = [];
  for (const [key, v] of Object.entries(value)) {
    const name = prefix === '' ? key : `${prefix}_${key}`;
    if (typeof v === 'number' && Number.isFinite(v)) out.push([name, v]);
    else if (v !== null && typeof v === 'object') out.push(...numericFields(v, name));
  }
  return out;
}
