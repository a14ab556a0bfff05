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

/** One user's hold on diagnostics, from {@link useDiagnostics}. */
export interface DiagnosticsUse {
  /** Settles once what the user needs runs; rejects if the heap sampler failed to start. */
  readonly ready: Promise<void>;
  /** Ends the use (idempotent); the last user to leave stops what it had needed. */
  release(): Promise<void>;
}

// Users of the heap sampler and of the GC / event-loop monitors: enableDiagnostics(), every
// debug server and handler, every started LeakWatch. What the last user leaves is stopped, so
// closing a server or stopping a watch does not leave the sampler taxing every allocation.
let samplerUsers = 0;
let monitorUsers = 0;
let explicit: DiagnosticsUse | undefined;

/**
 * Registers a user of diagnostics and starts what it needs: the in-use heap sampler, plus GC
 * counting and the event-loop monitor when `monitors` is set. Internal to this module's
 * servers, handlers and LeakWatch.
 */
export function useDiagnostics(
  options: DiagnosticsOptions & { monitors: boolean },
): DiagnosticsUse {
  samplerUsers += 1;
  if (options.monitors) {
    monitorUsers += 1;
    startGcStats();
    startEventLoopDelay();
  }
  const ready = startHeapSampler(options.heapSamplingIntervalBytes);
  let released = false;
  return {
    ready,
    release: async () => {
      if (released) return;
      released = true;
      if (options.monitors) {
        monitorUsers -= 1;
        if (monitorUsers === 0) {
          stopGcStats();
          stopEventLoopDelay();
        }
      }
      samplerUsers -= 1;
      if (samplerUsers === 0) await stopHeapSampler();
    },
  };
}

/**
 * Turns diagnostics on (idempotent): starts the in-use heap sampler, GC counting and the
 * event-loop delay monitor. Call it at process start: the heap profile only sees objects
 * allocated after this. Creating a handler or starting the debug server turns them on too.
 */
export async function enableDiagnostics(options: DiagnosticsOptions = {}): Promise<void> {
  if (explicit === undefined) {
    explicit = useDiagnostics({ ...options, monitors: true });
    return explicit.ready;
  }
  // Already on: only a new sampling interval has anything to change.
  await startHeapSampler(options.heapSamplingIntervalBytes);
}

/**
 * Ends what {@link enableDiagnostics} turned on: the heap sampler (dropping its samples) and the
 * monitors stop unless a debug server, handler or started LeakWatch still uses them.
 */
export async function disableDiagnostics(): Promise<void> {
  const use = explicit;
  explicit = undefined;
  if (use !== undefined) return use.release();
  // A heap profile taken with nobody using diagnostics starts the sampler for nobody: stop it.
  if (samplerUsers === 0) await stopHeapSampler();
}
