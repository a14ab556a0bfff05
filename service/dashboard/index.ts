/**
 * The dashboard's server side: the sampler that records memory, stores, rooms, cache hit ratio
 * and GC pause every second, the log of `TIERCACHE_` process warnings, and the control behind
 * the page's load button. The page itself is in `public/`.
 *
 * @module
 */
export { collectGarbage } from './full-gc.ts';
export { LoadControl } from './load-control.ts';
export { type MetricsSample, MetricsSampler } from './metrics-sampler.ts';
export { type LoggedWarning, WarningLog } from './warning-log.ts';
