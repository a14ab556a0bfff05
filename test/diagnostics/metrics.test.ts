import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createMetricsRegistry, type DebugServer } from 'tiercache/diagnostics';
import { startTestServer } from './helpers.ts';

let server: DebugServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

test('/metrics serves the memstats figures in Prometheus text format', async () => {
  const response = await fetch(`${server.url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  for (const line of [
    /^# TYPE tiercache_memory_bytes gauge$/m,
    /^tiercache_memory_bytes\{kind="rss"\} [1-9]\d*$/m,
    /^tiercache_memory_bytes\{kind="heap_used"\} [1-9]\d*$/m,
    /^tiercache_heap_space_used_bytes\{space="old_space"\} [1-9]\d*$/m,
    /^# TYPE tiercache_gc_collections_total counter$/m,
    /^tiercache_active_resources\{type="TCPServerWrap"\} [1-9]\d*$/m,
  ]) {
    assert.match(text, line);
  }
});

test('each registry is its own, never the global prom-client one', async () => {
  const { register } = await import('prom-client');
  const a = createMetricsRegistry();
  const b = createMetricsRegistry();
  assert.notEqual(a, b);
  assert.equal(await register.getSingleMetric('tiercache_memory_bytes'), undefined);
  assert.match(await a.metrics(), /tiercache_memory_bytes/);
});
