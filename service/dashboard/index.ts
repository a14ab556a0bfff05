/**
 * The dashboard's server side: the sampler that records memory (where RSS goes), stores, rooms,
 * cache hit ratio, GC pause and event-loop delay every second, the service's LeakWatch, the log
 * of `TIERCACHE_` process warnings, and the control behind the page's load button. The page
 * itself is in `public/`.
 *
 * @module
 */
export { collectGarbage } from './full-gc.ts';
export { LoadControl } from './load-control.ts';
export { type MetricsSample, MetricsSampler } from './metrics-sampler.ts';
export { type ServiceLeakWatchOptions, startServiceLeakWatch } from './service-leak-watch.ts';
export { type LoggedWarning, WarningLog } from './warning-log.ts';
