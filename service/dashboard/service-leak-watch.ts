import { LeakWatch } from 'tiercache/diagnostics';

const MiB = 1024 * 1024;

/** How the room service's LeakWatch is tuned; every duration in ms, every size in bytes. */
export interface ServiceLeakWatchOptions {
  /** Time between samples. @default 5000, or `LEAK_WATCH_INTERVAL_MS` */
  intervalMs?: number;
  /** Samples in the trend window (60 × 5 s = 5 minutes). @default 60 */
  windowSize?: number;
  /** Growth that counts, per metric and per site step. @default 32 MiB */
  thresholdBytes?: number;
}

/**
 * Starts the LeakWatch every node of the room service runs: it samples RSS, the allocator's
 * retained memory, the JS heap, external memory and the stores by creation site every 5 s,
 * alarms on a sustained trend over 5 minutes or on one site's stores stepping up (16 more live
 * stores and 32 MiB more, held for 3 samples: the story's cache per room is flagged within a
 * minute of its onset), and reports through a `TIERCACHE_MEMORY_GROWTH` process warning, which
 * Node prints on stderr and the dashboard's warning log, memstats and `/metrics` pick up.
 * `LEAK_WATCH=off` in the environment leaves it off (returns undefined).
 */
export function startServiceLeakWatch(
  options: ServiceLeakWatchOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): LeakWatch | undefined {
  if (env.LEAK_WATCH === 'off') return undefined;
  const fromEnv = Number(env.LEAK_WATCH_INTERVAL_MS);
  const watch = new LeakWatch({
    intervalMs: options.intervalMs ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 5_000),
    windowSize: options.windowSize ?? 60,
    thresholdBytes: options.thresholdBytes ?? 32 * MiB,
    siteStepStores: 16,
    stepHoldSamples: 3,
  });
  // A failed heap profile (another one running) only costs that window its function names.
  watch.on('error', (error: unknown) => console.error('leak watch:', error));
  return watch.start();
}
