import { startEventLoopDelay, stopEventLoopDelay } from './event-loop-delay.ts';
import { startGcStats, stopGcStats } from './gc-stats.ts';
import { startHeapSampler, stopHeapSampler } from './heap-profiler.ts';

/** Options of {@link enableDiagnostics}. */
export interface DiagnosticsOptions {
  /**
   * Mean bytes allocated between two heap samples of the in-use sampler. Smaller sees smaller
   * allocation sites and costs more. @default 524288 (512 KiB, Go's MemProfileRate)
   */
  heapSamplingIntervalBytes?: number;
}

/**
 * Turns diagnostics on (idempotent): starts the in-use heap sampler, GC counting and the
 * event-loop delay monitor. Call it at process start: the heap profile only sees objects
 * allocated after this. Creating a handler or starting the debug server calls it too.
 */
export async function enableDiagnostics(options: DiagnosticsOptions = {}): Promise<void> {
  startGcStats();
  startEventLoopDelay();
  await startHeapSampler(options.heapSamplingIntervalBytes);
}

/** Turns diagnostics off: stops the heap sampler (dropping its samples) and the monitors. */
export async function disableDiagnostics(): Promise<void> {
  stopGcStats();
  stopEventLoopDelay();
  await stopHeapSampler();
}
