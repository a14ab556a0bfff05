import {
  type DebugServer,
  decodeProfile,
  type ProfileSummary,
  startDebugServer,
  summarizeProfile,
} from 'tiercache/diagnostics';

/** A diagnostics server on a free loopback port with a fine heap sampler, for one test file. */
export function startTestServer(options: { token?: string } = {}): Promise<DebugServer> {
  // 16 KiB between samples: fine enough that a few MiB of test allocations show reliably.
  return startDebugServer({ port: 0, heapSamplingIntervalBytes: 16 * 1024, ...options });
}

/** GETs a profile route and decodes it with pprof-format into per-function totals. */
export async function fetchSummary(url: string, init?: RequestInit): Promise<ProfileSummary> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return summarizeProfile(decodeProfile(new Uint8Array(await response.arrayBuffer())));
}

/** The flat value of the function named `name` in a summary (0 when absent). */
export function flatOf(summary: ProfileSummary, name: string): number {
  return summary.functions.filter((f) => f.name === name).reduce((sum, f) => sum + f.flat, 0);
}

/** Resolves after `ms` without blocking the event loop. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
