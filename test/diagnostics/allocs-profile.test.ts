import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { DebugServer } from 'tiercache/diagnostics';
import { fetchSummary, flatOf, sleep, startTestServer } from './helpers.ts';

let server: DebugServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

function churnGarbage(count: number): number {
  let last = 0;
  for (let i = 0; i < count; i++) last = { id: i, label: `garbage-${i}` }.label.length;
  return last;
}

/** Makes garbage in slices until `signal` aborts, leaving the event loop free for the server. */
async function churnUntil(signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    churnGarbage(20_000);
    await sleep(5);
  }
}

const retained: object[] = [];
/** Allocates about as much as churnGarbage, but keeps it: the control that must show in /heap. */
function retainLive(count: number): void {
  for (let i = 0; i < count; i++) retained.push({ id: i, label: `live-${i}` });
}

test('a function that only makes garbage shows in /allocs and not in /heap', async () => {
  const stop = new AbortController();
  const churn = churnUntil(stop.signal);
  const allocs = await fetchSummary(`${server.url}/debug/pprof/allocs?seconds=1`);
  // The window restarted the in-use sampler: churn on under it, next to a function that
  // retains, so the /heap check below sees both kinds of allocation and is not vacuous.
  retainLive(100_000);
  await sleep(300);
  stop.abort();
  await churn;
  assert.equal(allocs.sampleType, 'alloc_space');
  assert.ok(
    flatOf(allocs, 'churnGarbage') > 1024 * 1024,
    'collected objects are included in the allocation window',
  );

  const heap = await fetchSummary(`${server.url}/debug/pprof/heap?gc=1`);
  assert.equal(heap.sampleType, 'inuse_space');
  // At most a stray sample V8 has not yet dropped (64 KiB = 4 samples); the garbage was many MiB.
  assert.ok(flatOf(heap, 'churnGarbage') <= 64 * 1024);
  assert.ok(flatOf(heap, 'retainLive') > 1024 * 1024, 'what is retained does show');
  retained.length = 0;
});

test('an allocation window restarts the in-use sampler and says so', async () => {
  const before = Date.now();
  const response = await fetch(`${server.url}/debug/pprof/allocs?seconds=0.2`);
  await response.arrayBuffer();
  assert.equal(response.status, 200);
  const restarted = Date.parse(response.headers.get('x-tiercache-inuse-restarted') ?? '');
  assert.ok(restarted >= before, 'the header names the restart time');

  const heap = await fetch(`${server.url}/debug/pprof/heap`);
  await heap.arrayBuffer();
  assert.equal(heap.headers.get('x-tiercache-inuse-since'), new Date(restarted).toISOString());
});
