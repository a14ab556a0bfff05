import type { Profile } from 'pprof-format';
import { inspectorSession } from './inspector-session.ts';
import { PprofBuilder } from './pprof-builder.ts';
import { profileLock } from './profile-lock.ts';
import { waitFor } from './wait.ts';

/** Default microseconds between CPU samples (V8's own default: 1 ms, 1000 Hz). */
export const DEFAULT_CPU_SAMPLING_INTERVAL_US = 1000;

/**
 * A CPU profile over a window of `seconds` through V8's sampling profiler (`cpu` in
 * nanoseconds plus the sample count). Time the thread spent idle in the event loop is left out,
 * as Go's CPU profiles leave out blocked goroutines: the profile shows where CPU went.
 */
export async function takeCpuProfile(
  seconds: number,
  options: { signal?: AbortSignal; samplingIntervalUs?: number } = {},
): Promise<Profile> {
  return profileLock.run('cpu', async () => {
    const session = inspectorSession();
    const intervalUs = options.samplingIntervalUs ?? DEFAULT_CPU_SAMPLING_INTERVAL_US;
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
    const startedAt = Date.now();
    await session.post('Profiler.start');
    let profile: V8CpuProfile;
    try {
      await waitFor(seconds * 1000, options.signal);
    } finally {
      ({ profile } = (await session.post('Profiler.stop')) as { profile: V8CpuProfile });
      await session.post('Profiler.disable');
    }
    return cpuProfileToPprof(profile, intervalUs, startedAt);
  });
}

interface V8CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface V8CpuProfile {
  nodes: V8CpuNode[];
  startTime: number;
  endTime: number;
}

/** Converts V8's CPU profile (a flat node list with child ids and hit counts) into pprof. */
function cpuProfileToPprof(profile: V8CpuProfile, intervalUs: number, startedAt: number): Profile {
  const periodNs = intervalUs * 1000;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const builder = new PprofBuilder([
    ['samples', 'count'],
    ['cpu', 'nanoseconds'],
  ]);
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0 || node.callFrame.functionName === '(idle)') continue;
    const stack: number[] = [];
    // Walk up to (but not including) the synthetic root, leaf first.
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!;
      if (!parent.has(id)) break;
      stack.push(builder.location(frame.callFrame));
    }
    builder.sample(stack, [hits, hits * periodNs]);
  }
  return builder.build({
    periodType: ['cpu', 'nanoseconds'],
    period: periodNs,
    timeNanos: startedAt * 1e6,
    // V8 reports start and end in microseconds.
    durationNanos: (profile.endTime - profile.startTime) * 1000,
    defaultSampleType: 'cpu',
  });
}
