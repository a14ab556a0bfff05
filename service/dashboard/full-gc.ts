import { Session } from 'node:inspector/promises';

/**
 * Asks V8 for one full garbage collection through the inspector protocol
 * (`HeapProfiler.collectGarbage`), no `--expose-gc` needed: the dashboard's "GC" button
 * (`POST /api/gc`), to see what a collection would free. The mode switch does not call it: closed
 * stores' chunk pages leave RSS at close and the library's reclaimer has V8 collect the rest.
 */
export async function collectGarbage(): Promise<{ freedBytes: number; ms: number }> {
  const before = process.memoryUsage();
  const start = performance.now();
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.collectGarbage');
  } finally {
    session.disconnect();
  }
  const after = process.memoryUsage();
  return {
    freedBytes: before.heapUsed + before.external - (after.heapUsed + after.external),
    ms: performance.now() - start,
  };
}
