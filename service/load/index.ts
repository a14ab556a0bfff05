/**
 * The load generator: bots in many rooms doing everything a room offers, for a fixed time,
 * with latency percentiles and outcome counts. It drives the service in-process (the
 * dashboard's load button) or a running node over loopback HTTP (`npm run load`).
 *
 * @module
 */
export { HttpTarget } from './http-target.ts';
export { LatencyHistogram } from './latency-histogram.ts';
export {
  LoadGenerator,
  type LoadOptions,
  type LoadProgress,
  type LoadReport,
} from './load-generator.ts';
export { type LoadTarget, type Outcome, outcomeOf } from './load-target.ts';
export { ServiceTarget } from './service-target.ts';
