import { Session } from 'node:inspector/promises';

/**
 * Asks V8 for one full garbage collection through the inspector protocol
 * (`HeapProfiler.collectGarbage`), no `--expose-gc` needed. The dashboard uses it after bug-mode
 * stores close: their arenas are ArrayBuffers that only a major GC frees, and with a small JS
 * heap V8 may not run one for minutes, so the curve would stay up long after the fix.
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
