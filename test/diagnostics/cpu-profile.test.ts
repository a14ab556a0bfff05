import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import v8 from 'node:v8';
import type { DebugServer } from 'tiercache/diagnostics';
import { fetchSummary, flatOf, sleep, startTestServer } from './helpers.ts';

// TurboFan may inline a hot function into its caller (even into node's listOnTimeout) and V8
// then bills the samples to the caller; this test checks attribution, not the optimizer.
v8.setFlagsFromString('--no-turbo-inlining');

let server: DebugServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

function spinHard(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  // Check the clock rarely so that nearly every sample lands in this function's own code.
  while (performance.now() < end) for (let i = 0; i < 100_000; i++) x += Math.sqrt(x + i);
  return x;
}

test('a busy function shows in /debug/pprof/profile', async () => {
  const profile = fetchSummary(`${server.url}/debug/pprof/profile?seconds=1.5`);
  // Start burning once the profiler runs: V8 can bill code it optimized before the profile
  // started to the caller (see docs/diagnostics.md). Then burn in 20 ms slices straight from a
  // timer, so the server still answers between them.
  await sleep(200);
  const timer = setInterval(spinHard, 25, 20);
  const summary = await profile;
  clearInterval(timer);
  assert.equal(summary.sampleType, 'cpu');
  assert.equal(summary.unit, 'nanoseconds');
  assert.equal(summary.functions[0]?.name, 'spinHard');
  assert.ok(
    flatOf(summary, 'spinHard') > summary.total / 2,
    'most CPU time is in the busy function',
  );
  assert.equal(flatOf(summary, '(idle)'), 0, 'idle time is left out');
});
