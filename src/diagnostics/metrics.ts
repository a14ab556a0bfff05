import { Counter, Gauge, Registry } from 'prom-client';
import { collectMemstats, type Memstats } from './memstats.ts';

/**
 * How long one memstats snapshot serves the collectors of a scrape: every metric reads the
 * same report instead of each taking its own (v8 heap statistics are not free).
 */
const SNAPSHOT_TTL_MS = 100;

/**
 * Builds a prom-client `Registry` (its own, never the global one) exposing the memstats figures
 * in Prometheus form: process and V8 memory, GC, event-loop delay, active resources, the live
 * MemoryStores (summed by store name, so a store per room does not explode cardinality) and
 * every numeric TieredCache stat. Merge it into an application registry with
 * `Registry.merge([app, diagnostics])` if one scrape should serve both.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
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
        const totals = new Map<string, number>();
        for (const s of stats().stores.list)
          totals.set(s.name, (totals.get(s.name) ?? 0) + pick(s));
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
      for (const cache of stats().caches) {
        for (const [stat, value] of numericFields(cache.stats)) {
          this.set({ cache: cache.name, stat }, value);
        }
      }
    },
  });
  new Gauge({
    name: 'tiercache_cache_breaker_open',
    help: 'Whether each TieredCache has its Redis circuit breaker open (1) or half-open (0.5).',
    labelNames: ['cache'],
    registers,
    collect() {
      this.reset();
      for (const cache of stats().caches) {
        const state = cache.stats.breaker;
        if (state === 'disabled') continue;
        this.set({ cache: cache.name }, state === 'open' ? 1 : state === 'half-open' ? 0.5 : 0);
      }
    },
  });
  return registry;
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
