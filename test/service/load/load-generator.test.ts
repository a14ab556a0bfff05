import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HttpTarget, LatencyHistogram, LoadGenerator } from '../../../service/load/index.ts';
import { startTestApp } from '../helpers/test-app.ts';

let app: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

test('bots over HTTP do everything a room offers, then stop by themselves', async () => {
  // 30 bots share one cut-off signal: that must not read as a listener leak.
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  const target = new HttpTarget(app.url);
  const generator = new LoadGenerator(target, {
    rooms: 10,
    bots: 30,
    seconds: 2,
    thinkMs: 20,
    users: 500,
  });
  const report = await generator.run();
  await target.close();
  assert.equal(report.running, false);
  // Progress, not speed: every bot acted at least once, however busy the machine is.
  assert.ok(report.actions >= 30, `${report.actions} actions from 30 bots`);
  assert.equal(report.outcomes.failed, 0);
  assert.ok(report.outcomes.ok > report.actions * 0.8);
  assert.ok(report.latencyMs.p50 > 0 && report.latencyMs.p50 <= report.latencyMs.p99);
  assert.ok(report.roomsTouched >= 5 && report.roomsTouched <= 10);
  // Every kind of message reached the rooms.
  const stats = app.service.router.stats();
  assert.ok(stats.handled >= report.actions * 0.8);
  process.off('warning', onWarning);
  assert.deepEqual(
    warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')),
    [],
  );
});

test('the load generator refuses targets that are not loopback', () => {
  assert.throws(() => new HttpTarget('http://example.com:8080'), {
    code: 'TIERCACHE_INVALID_ARGUMENT',
  });
  assert.throws(() => new HttpTarget('https://127.0.0.1:8080'), {
    code: 'TIERCACHE_INVALID_ARGUMENT',
  });
});

test('latency percentiles are within 0.2 % of the exact ones', () => {
  const h = new LatencyHistogram();
  const values = Array.from({ length: 10_000 }, (_, i) => 0.05 + (i % 1000) * 0.37);
  for (const v of values) h.record(v);
  const sorted = [...values].sort((a, b) => a - b);
  for (const p of [0.5, 0.9, 0.99]) {
    const exact = sorted[Math.ceil(p * sorted.length) - 1]!;
    const approx = h.percentile(p);
    // 3 significant digits, after rounding to whole microseconds.
    assert.ok(Math.abs(approx - exact) / exact <= 0.002, `p${p * 100}: ${approx} vs ${exact}`);
  }
  assert.equal(h.count, 10_000);
  assert.ok(Math.abs(h.max - Math.max(...values)) / h.max <= 0.002, `max ${h.max}`);
  const exactMean = values.reduce((a, b) => a + b, 0) / values.length;
  assert.ok(Math.abs(h.mean - exactMean) / exactMean <= 0.002, `mean ${h.mean}`);
  const empty = new LatencyHistogram();
  assert.deepEqual([empty.percentile(0.5), empty.mean, empty.max, empty.count], [0, 0, 0, 0]);
});
