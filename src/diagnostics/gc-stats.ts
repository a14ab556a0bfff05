import { constants, PerformanceObserver } from 'node:perf_hooks';

/** Count and total pause of one kind of garbage collection. */
export interface GcKindStats {
  count: number;
  /** Sum of pause durations, milliseconds. */
  pauseMs: number;
  /** Longest single pause, milliseconds. */
  maxPauseMs: number;
}

/** Garbage collections observed since {@link startGcStats}, by kind and in total. */
export interface GcStats extends GcKindStats {
  /** When observation started, epoch ms (undefined when it never did). */
  since: number | undefined;
  minor: GcKindStats;
  major: GcKindStats;
  incremental: GcKindStats;
  weakcb: GcKindStats;
}

type Kind = 'minor' | 'major' | 'incremental' | 'weakcb';

const KIND_BY_FLAG = new Map<number, Kind>([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

const empty = (): GcKindStats => ({ count: 0, pauseMs: 0, maxPauseMs: 0 });
let totals = {
  all: empty(),
  minor: empty(),
  major: empty(),
  incremental: empty(),
  weakcb: empty(),
};
let observer: PerformanceObserver | undefined;
let since: number | undefined;

function add(into: GcKindStats, ms: number): void {
  into.count += 1;
  into.pauseMs += ms;
  if (ms > into.maxPauseMs) into.maxPauseMs = ms;
}

/**
 * Starts counting garbage collections and their pauses (idempotent). GC entries reach the
 * observer asynchronously, a tick after the collection: read after an `await` to see them.
 */
export function startGcStats(): void {
  if (observer !== undefined) return;
  since = Date.now();
  totals = { all: empty(), minor: empty(), major: empty(), incremental: empty(), weakcb: empty() };
  observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as { detail?: { kind?: number } }).detail;
      const kind = KIND_BY_FLAG.get(detail?.kind ?? -1);
      add(totals.all, entry.duration);
      if (kind !== undefined) add(totals[kind], entry.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
}

/** Stops counting; the totals so far stay readable until the next start. */
export function stopGcStats(): void {
  observer?.disconnect();
  observer = undefined;
}

/** A snapshot of the collections counted since {@link startGcStats}. */
export function gcStats(): GcStats {
  return {
    ...totals.all,
    since,
    minor: { ...totals.minor },
    major: { ...totals.major },
    incremental: { ...totals.incremental },
    weakcb: { ...totals.weakcb },
  };
}
