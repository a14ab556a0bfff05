import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createDiagnosticsHandler } from 'tiercache/diagnostics';

test('a handler mounted under a prefix serves the index, which links every route and states the caveat', async () => {
  const handler = createDiagnosticsHandler({ prefix: '/admin' });
  let fellThrough = 0;
  const server = createServer((req, res) =>
    handler(req, res, () => {
      fellThrough += 1;
      res.end('app');
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const response = await fetch(`${base}/admin/debug/pprof/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    const html = await response.text();
    for (const route of [
      'debug/pprof/heap',
      'debug/pprof/allocs',
      'debug/pprof/profile',
      'debug/memstats',
      'metrics',
    ]) {
      assert.match(html, new RegExp(`href="/admin/${route.replace('/', '\\/')}`), route);
    }
    assert.match(html, /In-use sampler: inuse/);
    assert.match(html, /restarts\s+it when the window ends/);

    const memstats = await fetch(`${base}/admin/debug/memstats`);
    assert.equal(memstats.status, 200);
    await memstats.arrayBuffer();
    const app = await fetch(`${base}/debug/memstats`);
    assert.equal(await app.text(), 'app', 'paths outside the prefix go to the application');
    assert.equal(fellThrough, 1);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
