import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { DebugServer } from 'tiercache/diagnostics';
import { fetchSummary, flatOf, startTestServer } from './helpers.ts';

let server: DebugServer;
const retained: object[] = [];

before(async () => {
  server = await startTestServer();
});
after(() => server.close());

// Named functions so the profile can be searched by name.
function retainRecords(count: number): void {
  for (let i = 0; i < count; i++) retained.push({ id: i, label: `record-${i}`, tags: [i, i + 1] });
}
function makeGarbage(count: number): number {
  let last = 0;
  for (let i = 0; i < count; i++) last = { id: i, label: `garbage-${i}` }.label.length;
  return last;
}

test('a function that retains memory is at the top of /debug/pprof/heap', async () => {
  retainRecords(200_000);
  const summary = await fetchSummary(`${server.url}/debug/pprof/heap?gc=1`);
  assert.equal(summary.sampleType, 'inuse_space');
  assert.equal(summary.unit, 'bytes');
  assert.equal(summary.functions[0]?.name, 'retainRecords');
  // 200k small objects, strings and arrays: several MiB, most of everything sampled since start.
  assert.ok(flatOf(summary, 'retainRecords') > 4 * 1024 * 1024, 'retained bytes are accounted');
  assert.ok(flatOf(summary, 'retainRecords') > summary.total / 2);
});

test('a function that only makes garbage is absent from the in-use profile after gc=1', async () => {
  makeGarbage(300_000);
  const summary = await fetchSummary(`${server.url}/debug/pprof/heap?gc=1`);
  // At most a stray sample V8 has not yet dropped (64 KiB = 4 samples); the garbage was many MiB.
  assert.ok(flatOf(summary, 'makeGarbage') <= 64 * 1024);
  assert.ok(flatOf(summary, 'retainRecords') > 0, 'retained objects are still there');
});

test('profile frames point at the original TypeScript lines (tsx enables source maps)', async () => {
  const summary = await fetchSummary(`${server.url}/debug/pprof/heap`);
  const frame = summary.functions.find((f) => f.name === 'retainRecords');
  const source = readFileSync(new URL(import.meta.url), 'utf8').split('\n');
  const line = source.findIndex((l) => l.startsWith('function retainRecords')) + 1;
  assert.equal(frame?.file, import.meta.url);
  assert.equal(frame?.line, line);
});

test('/debug/pprof/heap says since when the in-use sampler has been running', async () => {
  const response = await fetch(`${server.url}/debug/pprof/heap`);
  await response.arrayBuffer();
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/octet-stream');
  const since = Date.parse(response.headers.get('x-tiercache-inuse-since') ?? '');
  assert.ok(Number.isFinite(since) && since <= Date.now());
});
