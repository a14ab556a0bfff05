import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeakWatch, type MemorySample } from 'tiercache/diagnostics';
import { InvalidOptionError } from 'tiercache/errors';

const MiB = 1024 * 1024;

function samples(formula: (tick: number) => number): () => MemorySample {
  let tick = 0;
  return () => {
    const sample = { time: tick * 10_000, heapUsed: formula(tick), external: 0, stores: 0 };
    tick += 1;
    return sample;
  };
}

test('windowSize above 500 and intervalMs above 2^31-1 are refused, naming the option', () => {
  const refused = (options: object, option: string) =>
    assert.throws(
      () => new LeakWatch(options),
      (err: unknown) => {
        assert.ok(err instanceof InvalidOptionError);
        assert.equal(err.option, option);
        assert.equal(err.code, 'TIERCACHE_INVALID_OPTION');
        return true;
      },
    );
  refused({ windowSize: 501 }, 'windowSize');
  refused({ windowSize: 1_000_000 }, 'windowSize');
  refused({ intervalMs: 2 ** 31 }, 'intervalMs');
  // The bounds themselves are accepted.
  new LeakWatch({ windowSize: 500, intervalMs: 2 ** 31 - 1 }).stop();
});

test('a 500-sample window, thinned for the fit, still finds the trend and ignores a saw-tooth', async () => {
  const leak = new LeakWatch({
    windowSize: 500,
    thresholdBytes: 32 * MiB,
    heapProfiles: false,
    emitWarning: false,
    // 0.5 MiB per 10 s sample (3 MiB per minute) under a GC saw-tooth of 8 MiB.
    sample: samples((t) => 50 * MiB + t * 0.5 * MiB + (t % 4) * 2 * MiB),
  });
  let report: Awaited<ReturnType<LeakWatch['tick']>>;
  for (let t = 0; t < 500; t++) report = await leak.tick();
  assert.ok(report !== undefined, 'the full window alarms');
  const perMinute = report.grew[0]!.bytesPerMinute;
  assert.ok(Math.abs(perMinute - 3 * MiB) < 0.2 * MiB, `${perMinute}`);

  const steady = new LeakWatch({
    windowSize: 500,
    thresholdBytes: 32 * MiB,
    heapProfiles: false,
    emitWarning: false,
    sample: samples((t) => 200 * MiB + (t % 6) * 20 * MiB),
  });
  for (let t = 0; t < 1000; t++) assert.equal(await steady.tick(), undefined);
});
