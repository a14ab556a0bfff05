// The diagnostics handler mounted in an Express 5 app, as docs/diagnostics.md shows it: under a
// mount path Express strips, next() for paths it does not own, and /metrics serving the
// application's own prom-client registry with the tiercache metrics added.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import express from 'express';
import { Counter, Registry } from 'prom-client';
import { createDiagnosticsHandler } from 'tiercache/diagnostics';

const appRegistry = new Registry();
const orders = new Counter({ name: 'app_orders_total', help: 'Orders.', registers: [appRegistry] });
let base: string;
let close: () => Promise<void>;

before(async () => {
  const app = express();
  app.get('/hello', (_req, res) => {
    res.send('hello');
  });
  app.use('/admin', createDiagnosticsHandler({ metricsRegistry: appRegistry }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});
after(() => close());

test('routes answer under the mount path Express strips', async () => {
  const memstats = await fetch(`${base}/admin/debug/memstats`);
  assert.equal(memstats.status, 200);
  const report = (await memstats.json()) as { memory: { rss: number } };
  assert.ok(report.memory.rss > 0);
  const index = await fetch(`${base}/admin/debug/pprof/`);
  assert.equal(index.status, 200);
  assert.match(await index.text(), /heap/);
});

test('paths the handler does not own fall through to the app', async () => {
  assert.equal(await (await fetch(`${base}/hello`)).text(), 'hello');
  const unknown = await fetch(`${base}/admin/not-diagnostics`);
  assert.equal(unknown.status, 404);
  // Express's own 404 page, not the handler's JSON: next() was called.
  assert.doesNotMatch(await unknown.text(), /TIERCACHE_NOT_FOUND/);
});

test('/metrics serves the application registry with the tiercache metrics added', async () => {
  orders.inc(3);
  const response = await fetch(`${base}/admin/metrics`);
  assert.equal(response.status, 200);
  const text = await response.text();
  assert.match(text, /^app_orders_total 3$/m);
  assert.match(text, /^tiercache_memory_bytes\{kind="rss"\} [1-9]\d*$/m);
  // The tiercache metrics are now in the application's registry itself.
  assert.notEqual(appRegistry.getSingleMetric('tiercache_memory_bytes'), undefined);
});

test('a metricsRegistry that is not a registry fails at construction', () => {
  assert.throws(() => createDiagnosticsHandler({ metricsRegistry: {} as Registry }), {
    code: 'TIERCACHE_INVALID_OPTION',
    message: /metricsRegistry/,
  });
});
