import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** Event-loop delay since monitoring started, in milliseconds. */
export interface EventLoopDelayStats {
  min: number;
  mean: number;
  max: number;
  stddev: number;
  p50: number;
  p90: number;
  p99: number;
}

/** Sampling resolution of the delay monitor, ms: fine enough to see 10 ms stalls. */
const RESOLUTION_MS = 10;

let histogram: IntervalHistogram | undefined;

/** Starts the event-loop delay monitor (idempotent); its timer does not keep the process alive. */
export function startEventLoopDelay(): void {
  if (histogram !== undefined) return;
  histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
}

/** Stops the monitor and forgets its figures. */
export function stopEventLoopDelay(): void {
  histogram?.disable();
  histogram = undefined;
}

/** The delay distribution since start, or undefined when the monitor is not running. */
export function eventLoopDelay(): EventLoopDelayStats | undefined {
  if (histogram === undefined || histogram.count === 0) return undefined;
  // The histogram records nanoseconds.
  const ms = (ns: number) => ns / 1e6;
  return {
    min: ms(histogram.min),
    mean: ms(histogram.mean),
    max: ms(histogram.max),
    stddev: ms(histogram.stddev),
    p50: ms(histogram.percentile(50)),
    p90: ms(histogram.percentile(90)),
    p99: ms(histogram.percentile(99)),
  };
}
