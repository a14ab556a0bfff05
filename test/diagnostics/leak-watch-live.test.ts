import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import {
  disableDiagnostics,
  enableDiagnostics,
  type GrowthReport,
  LeakWatch,
} from 'tiercache/diagnostics';

const MiB = 1024 * 1024;
const leaked: object[][] = [];

// Retains about 2 MiB of small objects per call: the leak the watch must find and name.
function leakRecords(): void {
  const batch: object[] = [];
  for (let i = 0; i < 25_000; i++) batch.push({ id: i, name: `leaked-${i}`, at: i * 2 });
  leaked.push(batch);
}

test('a real leak alarms within its window and names the leaking function', async () => {
  await enableDiagnostics({ heapSamplingIntervalBytes: 32 * 1024 });
  const watch = new LeakWatch({
    intervalMs: 50,
    windowSize: 12,
    thresholdBytes: 8 * MiB,
    emitWarning: false,
  });
  const leak = setInterval(leakRecords, 25);
  try {
    watch.start();
    const started = Date.now();
    const [report] = (await once(watch, 'growth', { signal: AbortSignal.timeout(20_000) })) as [
      GrowthReport,
    ];
    assert.ok(report.grew.some((g) => g.metric === 'heapUsed'));
    assert.equal(report.topFunctions[0]?.name, 'leakRecords');
    assert.ok(report.topFunctions[0]!.flat > 4 * MiB);
    assert.match(report.message, /top growing functions: leakRecords/);
    // The first window needs 12 samples; allow for a loaded machine but not for many windows.
    assert.ok(Date.now() - started < 12 * 50 * 6, 'alarmed within a few windows');
  } finally {
    clearInterval(leak);
    watch.stop();
    leaked.length = 0;
    await disableDiagnostics();
  }
});

test('a real steady workload that only makes garbage stays quiet', async () => {
  const watch = new LeakWatch({
    intervalMs: 50,
    windowSize: 12,
    thresholdBytes: 16 * MiB,
    heapProfiles: false,
    emitWarning: false,
  });
  const alarms: GrowthReport[] = [];
  watch.on('growth', (r) => alarms.push(r));
  let sink = 0;
  const churn = setInterval(() => {
    for (let i = 0; i < 20_000; i++) sink += { id: i, name: `garbage-${i}` }.name.length;
  }, 5);
  watch.start();
  await new Promise((resolve) => setTimeout(resolve, 12 * 50 * 3));
  clearInterval(churn);
  watch.stop();
  assert.ok(sink > 0);
  assert.deepEqual(alarms, []);
});
