import type { Profile } from 'pprof-format';
import { storeStacks } from '../memory/registry.ts';
import { integerOption } from '../options-check.ts';
import { inspectorSession } from './inspector-session.ts';
import { PprofBuilder } from './pprof-builder.ts';
import { profileLock } from './profile-lock.ts';
import { waitFor } from './wait.ts';

/**
 * Default mean bytes between heap samples: 512 KiB, the rate Go's `runtime.MemProfileRate`
 * uses, cheap enough to leave on in production (see bench/diagnostics-overhead.ts).
 */
export const DEFAULT_HEAP_SAMPLING_INTERVAL_BYTES = 512 * 1024;

/** What the process's one V8 heap sampler is doing right now. */
export interface HeapSamplerState {
  /** `inuse` between enable and disable, `allocs` during an allocation window, else `off`. */
  mode: 'off' | 'inuse' | 'allocs';
  /** Mean bytes between samples of the in-use sampler. */
  intervalBytes: number;
  /** When the in-use sampler last (re)started, epoch ms; it sees only objects allocated since. */
  inuseSince: number | undefined;
}

// V8 has one sampling heap profiler per isolate: this module is its only owner in the process.
let mode: HeapSamplerState['mode'] = 'off';
let inuseWanted = false;
let intervalBytes = DEFAULT_HEAP_SAMPLING_INTERVAL_BYTES;
let inuseSince: number | undefined;

/** Returns the heap sampler's current mode, interval and start time. */
export function heapSamplerState(): HeapSamplerState {
  return { mode, intervalBytes, inuseSince };
}

/**
 * Starts the in-use heap sampler (idempotent). It only sees objects allocated after this call.
 * `samplingIntervalBytes` is the mean distance between samples (default 512 KiB).
 */
export function startHeapSampler(samplingIntervalBytes?: number): Promise<void> {
  validateSamplingInterval(samplingIntervalBytes);
  return serialized(async () => {
    inuseWanted = true;
    if (mode === 'inuse' && (samplingIntervalBytes ?? intervalBytes) === intervalBytes) return;
    if (samplingIntervalBytes !== undefined) intervalBytes = samplingIntervalBytes;
    if (mode === 'allocs') return; // the allocation window restarts the in-use sampler when it ends
    if (mode === 'inuse') await post('HeapProfiler.stopSampling');
    await startInuse();
  });
}

/** Throws `InvalidOptionError` unless `bytes` is undefined or a positive integer. */
export function validateSamplingInterval(bytes: unknown): void {
  integerOption('heapSamplingIntervalBytes', bytes, 1, 1, Number.MAX_SAFE_INTEGER, 'bytes');
}

/** Stops the in-use heap sampler and drops what it had sampled (idempotent). */
export function stopHeapSampler(): Promise<void> {
  return serialized(async () => {
    inuseWanted = false;
    if (mode !== 'inuse') return;
    mode = 'off';
    inuseSince = undefined;
    await post('HeapProfiler.stopSampling');
  });
}

// Start and stop calls run one after another: two overlapping starts would both see the
// sampler off and leave V8 running at whichever interval it accepted first.
let transitions: Promise<unknown> = Promise.resolve();
function serialized(task: () => Promise<void>): Promise<void> {
  const next = transitions.then(task, task);
  transitions = next.catch(() => undefined);
  return next;
}

/** The label every synthetic sample carries: `synthetic=memorystore_reserved`. */
export const SYNTHETIC_LABEL = { key: 'synthetic', value: 'memorystore_reserved' } as const;

/**
 * The in-use heap profile (`inuse_space` in bytes, plus the raw sample count) of the objects
 * still live among those allocated since the sampler started. `gc` collects garbage first so
 * that dead objects not yet swept do not show. Starts the sampler when it was off (the profile
 * is then empty: the sampler cannot see objects allocated before it ran).
 *
 * With `stores` (the default), every live MemoryStore's `reservedBytes` is added as a synthetic
 * sample at the stack that created the store (its `samples` value is the number of stores):
 * V8's sampler never sees arena Buffers, which live outside the JS heap. Those samples carry
 * the label `synthetic=memorystore_reserved` and `store_site=<creation site>`.
 */
export async function takeHeapProfile(
  options: { gc?: boolean; stores?: boolean } = {},
): Promise<Profile> {
  return profileLock.run('heap', async () => {
    if (mode !== 'inuse') await startHeapSampler();
    if (options.gc) await post('HeapProfiler.collectGarbage');
    const { profile } = await post('HeapProfiler.getSamplingProfile');
    return samplingProfileToPprof(profile, {
      sampleType: 'inuse_space',
      interval: intervalBytes,
      startedAt: inuseSince ?? Date.now(),
      comments: [
        `in-use objects allocated since ${new Date(inuseSince ?? Date.now()).toISOString()}`,
        ...(options.stores === false
          ? []
          : [
              "samples labelled synthetic=memorystore_reserved are live MemoryStores' reserved bytes at their creation stack",
            ]),
      ],
      addSamples: options.stores === false ? undefined : addStoreSamples,
    });
  });
}

/** One synthetic sample per distinct creation stack of live stores: `[stores, reservedBytes]`. */
function addStoreSamples(builder: PprofBuilder): void {
  for (const { stack, stores, reservedBytes } of storeStacks()) {
    if (reservedBytes <= 0) continue;
    const locations = stack.frames.map((frame) => builder.location(frame));
    builder.sample(locations, [stores, reservedBytes], {
      [SYNTHETIC_LABEL.key]: SYNTHETIC_LABEL.value,
      store_site: stack.site,
    });
  }
}

/**
 * Every allocation sampled during a window of `seconds`, objects already collected by minor
 * or major GCs included (`alloc_space`). V8 has one heap sampler, so the in-use sampler is
 * stopped for the window and restarted after it: the in-use profile then starts afresh and no
 * longer shows objects allocated before the window.
 */
export async function takeAllocsProfile(
  seconds: number,
  options: { signal?: AbortSignal; samplingIntervalBytes?: number } = {},
): Promise<Profile> {
  return profileLock.run('allocs', async () => {
    const interval = options.samplingIntervalBytes ?? intervalBytes;
    if (mode === 'inuse') await post('HeapProfiler.stopSampling');
    mode = 'allocs';
    inuseSince = undefined;
    const startedAt = Date.now();
    try {
      await post('HeapProfiler.startSampling', {
        samplingInterval: interval,
        // Honoured by Node 20's V8 (11.3): without these flags the sampler forgets every
        // sampled object the GC frees, and a window would show only survivors.
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
      await waitFor(seconds * 1000, options.signal);
      const { profile } = await post('HeapProfiler.getSamplingProfile');
      return samplingProfileToPprof(profile, {
        sampleType: 'alloc_space',
        interval,
        startedAt,
        comments: [`allocations over ${(Date.now() - startedAt) / 1000} s, collected included`],
      });
    } finally {
      await post('HeapProfiler.stopSampling').catch(() => undefined);
      mode = 'off';
      if (inuseWanted) await startInuse();
    }
  });
}

async function startInuse(): Promise<void> {
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: intervalBytes });
  mode = 'inuse';
  inuseSince = Date.now();
}

/**
 * Converts V8's sampling heap profile (a call tree with `selfSize` per node) into pprof: one
 * sample per allocating node, its stack leaf first, values `[samples, bytes]`.
 */
function samplingProfileToPprof(
  profile: SamplingProfile,
  options: {
    sampleType: string;
    interval: number;
    startedAt: number;
    comments: string[];
    addSamples?: ((builder: PprofBuilder) => void) | undefined;
  },
): Profile {
  const counts = new Map<number, number>();
  for (const s of profile.samples ?? []) counts.set(s.nodeId, (counts.get(s.nodeId) ?? 0) + 1);
  const builder = new PprofBuilder([
    ['samples', 'count'],
    [options.sampleType, 'bytes'],
  ]);
  // Iterative walk: allocation stacks can be deep enough to make recursion a risk.
  const stack: { node: HeapNode; path: number[] }[] = [{ node: profile.head, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    const isRoot = node === profile.head;
    const here = isRoot ? path : [builder.location(node.callFrame), ...path];
    if (!isRoot && node.selfSize > 0) {
      builder.sample(here, [counts.get(node.id) ?? 0, node.selfSize]);
    }
    for (const child of node.children) stack.push({ node: child, path: here });
  }
  options.addSamples?.(builder);
  const now = Date.now();
  return builder.build({
    periodType: ['space', 'bytes'],
    period: options.interval,
    timeNanos: now * 1e6,
    durationNanos: (now - options.startedAt) * 1e6,
    defaultSampleType: options.sampleType,
    comments: options.comments,
  });
}

interface HeapNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  selfSize: number;
  children: HeapNode[];
}

// The inspector's typed `post` overloads do not cover the sampling flags added in V8 11, so
// calls go through this one narrow signature.
function post(method: 'HeapProfiler.getSamplingProfile'): Promise<{ profile: SamplingProfile }>;
function post(method: string, params?: object): Promise<unknown>;
function post(method: string, params?: object): Promise<unknown> {
  const session = inspectorSession() as unknown as {
    post(method: string, params?: object): Promise<unknown>;
  };
  return session.post(method, params);
}

interface SamplingProfile {
  head: HeapNode;
  samples?: { nodeId: number; size: number; ordinal: number }[];
}
