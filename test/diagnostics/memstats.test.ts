import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { DebugServer, Memstats } from 'tiercache/diagnostics';
import { startTestServer } from './helpers.ts';

let server: DebugServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

async function memstats(): Promise<Memstats> {
  const response = await fetch(`${server.url}/debug/memstats`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  return (await response.json()) as Memstats;
}

test('memstats reports process memory, V8 heap and heap spaces', async () => {
  const m = await memstats();
  assert.equal(m.pid, process.pid);
  for (const key of ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'] as const) {
    assert.ok(m.memory[key] > 0, key);
  }
  assert.ok((m.heap.heapSizeLimit ?? 0) > 0);
  assert.ok(m.heapSpaces.some((s) => s.name === 'old_space' && s.usedBytes > 0));
  assert.equal(m.heapSampler.mode, 'inuse');
});

test('memstats counts garbage collections and their pauses since start', async () => {
  const before = (await memstats()).gc;
  globalThis.gc?.();
  globalThis.gc?.();
  // GC entries reach the observer a tick after the collection.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const after = (await memstats()).gc;
  assert.ok(after.major.count >= before.major.count + 2);
  assert.ok(after.pauseMs > before.pauseMs);
  assert.ok(after.count >= after.major.count + after.minor.count);
});

test('memstats reports event-loop delay and active resources (sockets, servers)', async () => {
  await new Promise((resolve) => setTimeout(resolve, 50));
  const m = await memstats();
  assert.ok(m.eventLoopDelay !== undefined && m.eventLoopDelay.max >= m.eventLoopDelay.p50);
  assert.ok(m.resources.servers >= 1, 'the debug server itself is listening');
  assert.ok(m.resources.sockets >= 1, 'the request being served is an open socket');
  assert.equal(
    m.resources.total,
    Object.values(m.resources.byType).reduce((a, b) => a + b, 0),
  );
});
