import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type GrowthReport, LeakWatch, type MemorySample } from 'tiercache/diagnostics';
import { InvalidOptionError, WarningCodes } from 'tiercache/errors';

const MiB = 1024 * 1024;

/** A sample source driven by a formula of the tick number, on a fake 10 s clock. */
function samples(formula: (tick: number) => Partial<MemorySample>): () => MemorySample {
  let tick = 0;
  return () => {
    const sample = {
      time: tick * 10_000,
      heapUsed: 50 * MiB,
      external: 5 * MiB,
      stores: 0,
      ...formula(tick),
    };
    tick += 1;
    return sample;
  };
}

async function run(watch: LeakWatch, ticks: number): Promise<(GrowthReport & { tick: number })[]> {
  const reports: (GrowthReport & { tick: number })[] = [];
  for (let tick = 0; tick < ticks; tick++) {
    const report = await watch.tick();
    if (report) reports.push({ ...report, tick });
  }
  return reports;
}

test('a synthetic heap leak alarms once its first window is full, naming the JS heap', async () => {
  // 2 MiB per sample, with GC noise of up to 6 MiB on top.
  const watch = new LeakWatch({
    windowSize: 30,
    thresholdBytes: 32 * MiB,
    heapProfiles: false,
    emitWarning: false,
    sample: samples((t) => ({ heapUsed: 50 * MiB + t * 2 * MiB + ((t * 7) % 4) * 2 * MiB })),
  });
  const reports = await run(watch, 30);
  assert.equal(reports.length, 1);
  const [report] = reports;
  assert.equal(report?.tick, 29, 'the alarm comes with the first full window');
  assert.deepEqual(
    report?.grew.map((g) => g.metric),
    ['heapUsed'],
  );
  const growth = report!.grew[0]!;
  // 2 MiB per 10 s is 12 MiB per minute.
  assert.ok(Math.abs(growth.bytesPerMinute - 12 * MiB) < 1 * MiB, `${growth.bytesPerMinute}`);
  assert.equal(report?.windowMs, 290_000);
  assert.match(report!.message, /JS heap \+\d+\.\d MiB/);
});

test('a steady saw-tooth workload never alarms, however tall the teeth', async () => {
  const watch = new LeakWatch({
    windowSize: 30,
    thresholdBytes: 32 * MiB,
    heapProfiles: false,
    emitWarning: false,
    // Heap climbs 20 MiB per sample for 5 samples, then a GC drops it back: 100 MiB teeth.
    sample: samples((t) => ({
      heapUsed: 200 * MiB + (t % 6) * 20 * MiB,
      external: 5 * MiB + (t % 3) * MiB,
    })),
  });
  assert.deepEqual(await run(watch, 300), []);
});

test('a growing store and external memory are named, and a continuing leak warns once per window', async () => {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    const watch = new LeakWatch({
      windowSize: 10,
      thresholdBytes: 16 * MiB,
      heapProfiles: false,
      metrics: ['external', 'stores'],
      sample: samples((t) => ({ external: 5 * MiB + t * 4 * MiB, stores: t * 4 * MiB })),
    });
    const reports = await run(watch, 30);
    assert.deepEqual(
      reports.map((r) => r.tick),
      [9, 19, 29],
    );
    assert.deepEqual(
      reports[0]?.grew.map((g) => g.metric),
      ['external', 'stores'],
    );
    await new Promise((resolve) => setImmediate(resolve));
    const ours = warnings.filter(
      (w) => (w as { code?: string }).code === WarningCodes.MEMORY_GROWTH,
    );
    assert.equal(ours.length, 3);
    assert.match(ours[0]!.message, /external \+\d+\.\d MiB .*stores \+/);
  } finally {
    process.off('warning', onWarning);
  }
});

test('growth below the threshold, or a single jump, does not alarm', async () => {
  const slow = new LeakWatch({
    windowSize: 30,
    thresholdBytes: 32 * MiB,
    heapProfiles: false,
    emitWarning: false,
    sample: samples((t) => ({ heapUsed: 50 * MiB + t * 0.5 * MiB })),
  });
  assert.deepEqual(await run(slow, 120), []);
  // One step up (a cache warming) is not sustained growth: the trend through it stays flat.
  const step = new LeakWatch({
    windowSize: 30,
    thresholdBytes: 32 * MiB,
    heapProfiles: false,
    emitWarning: false,
    sample: samples((t) => ({ heapUsed: t < 45 ? 50 * MiB : 150 * MiB })),
  });
  assert.deepEqual(await run(step, 120), []);
});

test('options are validated at construction', () => {
  assert.throws(() => new LeakWatch({ windowSize: 3 }), InvalidOptionError);
  assert.throws(() => new LeakWatch({ intervalMs: 0 }), InvalidOptionError);
  assert.throws(() => new LeakWatch({ thresholdBytes: -1 }), InvalidOptionError);
  assert.throws(() => new LeakWatch({ metrics: ['bogus' as never] }), InvalidOptionError);
});
