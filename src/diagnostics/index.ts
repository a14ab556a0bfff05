/**
 * Diagnostics: what the story did with Go's pprof, for Node. A `node:http` handler (and a
 * standalone debug server) for `/debug/pprof/heap`, `/allocs`, `/profile` in the
 * `profile.proto` format `go tool pprof` reads, a `/debug/memstats` report that names the
 * bytes heap profiles cannot see (Buffers, every live MemoryStore, every TieredCache), the same
 * figures for Prometheus at `/metrics` with an account of where RSS goes, heap profiles that
 * also show every store's bytes at the stack that created it, and `LeakWatch`, which warns on
 * sustained growth and on a creation site whose stores step up.
 *
 * @module
 */

export { DEFAULT_CPU_SAMPLING_INTERVAL_US, takeCpuProfile } from './cpu-profiler.ts';
export { type DebugServer, type DebugServerOptions, startDebugServer } from './debug-server.ts';
export { type DiagnosticsOptions, disableDiagnostics, enableDiagnostics } from './enable.ts';
export { type GcKindStats, type GcStats, gcStats } from './gc-stats.ts';
export {
  createDiagnosticsHandler,
  DEFAULT_PROFILE_SECONDS,
  type DiagnosticsHandler,
  type DiagnosticsHandlerOptions,
  MAX_PROFILE_SECONDS,
} from './handler.ts';
export {
  DEFAULT_HEAP_SAMPLING_INTERVAL_BYTES,
  type HeapSamplerState,
  heapSamplerState,
  SYNTHETIC_LABEL,
  takeAllocsProfile,
  takeHeapProfile,
} from './heap-profiler.ts';
export {
  type GrowthReport,
  LeakWatch,
  type LeakWatchOptions,
  type MemorySample,
  type MetricGrowth,
  type SiteGrowth,
  type SiteSample,
  type WatchedMetric,
} from './leak-watch.ts';
export { type LeakAlarm, type LeakWatchState, leakWatchState } from './leak-watch-state.ts';
export { collectMemstats, type HeapSpace, type Memstats } from './memstats.ts';
export {
  createMetricsRegistry,
  type MetricsRegistry,
  type MetricsRegistryOptions,
} from './metrics.ts';
export { encodeProfile } from './pprof-builder.ts';
export {
  decodeProfile,
  diffSummaries,
  type FunctionTotal,
  type ProfileSummary,
  sampleTypes,
  summarizeProfile,
} from './profile-summary.ts';
export {
  explainLoopbackTrust,
  type LoopbackTrust,
  loopbackTrust,
  PROXY_HEADERS,
} from './request-trust.ts';
export {
  accountRss,
  collectRssAccount,
  describeShare,
  parseSmaps,
  type RssAccount,
  type RssInputs,
  type RssPart,
  type RssSlice,
  readRssInputs,
  readSmaps,
  type SmapsFigures,
} from './rss-account.ts';
export type { CacheInfo, StoreInfo } from './sources.ts';
export { theilSenSlope } from './theil-sen.ts';
