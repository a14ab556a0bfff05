import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type GrowthReport,
  LeakWatch,
  leakWatchState,
  type MemorySample,
  type SiteSample,
} from 'tiercache/diagnostics';
import { MemoryStore } from 'tiercache/memory';

const MiB = 1024 * 1024;
const INTERVAL_MS = 5_000;
const SHARED = 'createSharedCache (service/cache/profile-cache.ts:64:17)';
const OWN = 'createOwnCache (service/cache/profile-cache.ts:92:17)';

/** Samples on a fake 5 s clock; the sites come from a formula of the tick number. */
function samples(sites: (tick: number) => SiteSample[]): () => MemorySample {
  let tick = 0;
  return () => {
    const list = sites(tick);
    const stores = list.reduce((sum, s) => sum + s.reservedBytes, 0);
    const sample = {
      time: tick * INTERVAL_MS,
      heapUsed: 60 * MiB,
      external: 5 * MiB + stores,
      stores,
      rss: 150 * MiB + stores,
      allocatorRetained: 20 * MiB,
      sites: list,
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

const watch = (sample: () => MemorySample) =>
  new LeakWatch({
    intervalMs: INTERVAL_MS,
    windowSize: 60,
    thresholdBytes: 32 * MiB,
    heapProfiles: false,
    emitWarning: false,
    sample,
  });

test('a cache per room (a step of stores from one site, then a plateau) alarms within 2 minutes, naming the site', async () => {
  const ONSET = 40;
  // From the onset, rooms come at 2 per tick (one every 2.5 s), each with an 8 MiB store, up
  // to 128: a step of 1 GiB over ~5 minutes that then stays.
  const reports = await run(
    watch(
      samples((t) => {
        const own = Math.min(128, Math.max(0, (t - ONSET) * 2));
        const list = [{ site: SHARED, stores: 1, reservedBytes: 20 * MiB }];
        if (own > 0) list.push({ site: OWN, stores: own, reservedBytes: own * 8 * MiB });
        return list;
      }),
    ),
    300,
  );
  assert.ok(reports.length >= 1, 'it alarmed');
  const first = reports[0]!;
  const delayMs = (first.tick - ONSET) * INTERVAL_MS;
  assert.ok(delayMs <= 120_000, `flagged ${delayMs / 1000} s after onset`);
  assert.equal(first.kind, 'site-step');
  assert.equal(first.sites[0]?.site, OWN);
  assert.ok(first.sites[0]!.stores >= 16);
  assert.match(first.message, /stores grew at createOwnCache \(service\/cache\/profile-cache\.ts/);
  assert.ok(
    !first.sites.some((s) => s.site === SHARED),
    'the shared cache, which did not change, is not named',
  );
  // The rest of the rise does not step-alarm again (a 5-minute rise may still be a trend once),
  // and the plateau stays quiet.
  const list = reports.map((r) => `${r.tick}: ${r.message}`).join('\n');
  assert.equal(reports.filter((r) => r.kind === 'site-step').length, 1, list);
  const lastRise = ONSET + 64;
  assert.deepEqual(
    reports.filter((r) => r.tick > lastRise + 60),
    [],
    list,
  );
});

test('a shared cache warming up (bytes, no new stores) and rooms churning small stores stay quiet', async () => {
  const reports = await run(
    watch(
      samples((t) => [
        // The shared store warms from 0 to 32 MiB over two minutes, then stays.
        { site: SHARED, stores: 1, reservedBytes: Math.min(32 * MiB, t * MiB) },
        // Rooms come and go: 10 to 30 lazily grown stores of 256 KiB.
        {
          site: OWN,
          stores: 10 + ((t * 7) % 21),
          reservedBytes: (10 + ((t * 7) % 21)) * 256 * 1024,
        },
      ]),
    ),
    300,
  );
  assert.deepEqual(
    reports.map((r) => r.message),
    [],
  );
});

test('a sustained trend names the sites whose stores grew', async () => {
  const reports = await run(
    watch(
      samples((t) => [
        { site: SHARED, stores: 1, reservedBytes: 20 * MiB },
        // Four stores that grow by 1 MiB a tick together: no new stores, so no step.
        { site: OWN, stores: 4, reservedBytes: t * MiB },
      ]),
    ),
    60,
  );
  const trend = reports.find((r) => r.kind === 'trend');
  assert.ok(trend, `a trend alarm (${reports.map((r) => r.kind)})`);
  assert.ok(trend.grew.some((g) => g.metric === 'stores'));
  assert.ok(
    trend.grew.some((g) => g.metric === 'rss'),
    'RSS is watched too',
  );
  assert.equal(trend.sites[0]?.site, OWN);
});

function createRoomStore(rid: number): MemoryStore {
  return new MemoryStore({
    name: `room-${rid}`,
    maxBytes: 2 * MiB,
    initialBytes: 2 * MiB,
    budget: null,
  });
}

test('with the default sample source, an alarm names the real creation site, relative to the working directory', async () => {
  const before = leakWatchState().alarms;
  const live = new LeakWatch({
    windowSize: 10,
    thresholdBytes: 16 * MiB,
    siteStepStores: 8,
    stepHoldSamples: 2,
    heapProfiles: false,
    emitWarning: false,
  });
  const stores: MemoryStore[] = [];
  try {
    const reports: GrowthReport[] = [];
    for (let tick = 0; tick < 8; tick++) {
      if (tick >= 2 && tick < 4)
        for (let i = 0; i < 8; i++) stores.push(createRoomStore(stores.length));
      const report = await live.tick();
      if (report) reports.push(report);
    }
    assert.equal(reports.length, 1, reports.map((r) => r.message).join('\n'));
    const [report] = reports;
    assert.match(
      report!.sites[0]!.site,
      /^createRoomStore \(test\/diagnostics\/leak-watch-sites\.test\.ts:\d+:\d+\)$/,
    );
    assert.equal(report!.sites[0]!.storesNow, 16);
    const state = leakWatchState();
    assert.equal(state.alarms, before + 1, 'memstats counts the alarm');
    assert.match(state.recent.at(-1)!.sites[0]!, /createRoomStore/);
  } finally {
    live.stop();
    for (const store of stores) store.close();
  }
});

test('at the plateau, rooms closing and reopening their own stores do not alarm again', async () => {
  const ONSET = 10;
  const reports = await run(
    watch(
      samples((t) => {
        // Up to 128 stores, then every 12 ticks 24 of them close (idle rooms) and come back.
        let own = Math.min(128, Math.max(0, (t - ONSET) * 16));
        if (t > ONSET + 20 && t % 12 < 4) own -= 24;
        const list = [{ site: SHARED, stores: 1, reservedBytes: 20 * MiB }];
        if (own > 0) list.push({ site: OWN, stores: own, reservedBytes: own * 8 * MiB });
        return list;
      }),
    ),
    200,
  );
  assert.equal(reports.length, 1, reports.map((r) => `${r.tick}: ${r.message}`).join('\n'));
  assert.equal(reports[0]!.sites[0]!.site, OWN);
  assert.ok((reports[0]!.tick - ONSET) * INTERVAL_MS <= 120_000);
});
