/**
 * The process-wide record of LeakWatch activity that memstats, `/metrics` and the dashboard
 * read: how many watches run, how many alarms they raised by metric, and the last few alarms.
 */

/** One alarm as the reports keep it. */
export interface LeakAlarm {
  /** When, epoch ms. */
  at: number;
  /** The metrics that grew (`heapUsed`, `external`, `stores`, `rss`, `allocatorRetained`). */
  metrics: string[];
  /** The creation sites whose stores grew, most bytes first. */
  sites: string[];
  /** The warning's text. */
  message: string;
}

/** What memstats shows about leak watching. */
export interface LeakWatchState {
  /** Started and not stopped LeakWatches. */
  running: number;
  /** Alarms since the process started, by metric (an alarm naming two metrics counts for both). */
  alarmsByMetric: Record<string, number>;
  /** Alarms since the process started. */
  alarms: number;
  /** The last alarms, oldest first (at most {@link MAX_KEPT_ALARMS}). */
  recent: LeakAlarm[];
}

/** Alarms kept for the reports. */
export const MAX_KEPT_ALARMS = 20;

let running = 0;
let alarms = 0;
const alarmsByMetric: Record<string, number> = {};
const recent: LeakAlarm[] = [];

/** Counts a started watch. */
export function watchStarted(): void {
  running += 1;
}

/** Counts a stopped watch. */
export function watchStopped(): void {
  running = Math.max(0, running - 1);
}

/** Records an alarm for the reports. */
export function recordAlarm(alarm: LeakAlarm): void {
  alarms += 1;
  for (const metric of alarm.metrics) alarmsByMetric[metric] = (alarmsByMetric[metric] ?? 0) + 1;
  recent.push(alarm);
  if (recent.length > MAX_KEPT_ALARMS) recent.shift();
}

/** A snapshot of the watches and their alarms. */
export function leakWatchState(): LeakWatchState {
  return {
    running,
    alarmsByMetric: { ...alarmsByMetric },
    alarms,
    recent: recent.map((a) => ({ ...a, metrics: [...a.metrics], sites: [...a.sites] })),
  };
}
