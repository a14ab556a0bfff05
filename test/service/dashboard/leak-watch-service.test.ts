import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { getJson, postJson, startTestApp } from '../helpers/test-app.ts';

const MiB = 1024 * 1024;
let app: Awaited<ReturnType<typeof startTestApp>>;

before(async () => {
  // Production samples every 5 s; a second keeps this test short (the rule counts samples).
  process.env.LEAK_WATCH_INTERVAL_MS = '1000';
  app = await startTestApp({ bugStoreBytes: 2 * MiB });
});
after(() => app?.close());

const join = (rid: string, userId: number) =>
  postJson(`${app.base}/rooms/${rid}/messages`, { type: 'join', userId });
const growthWarnings = async () =>
  (await getJson(`${app.base}/api/state`)).body.warnings.filter(
    (w: { code: string }) => w.code === 'TIERCACHE_MEMORY_GROWTH',
  );

/** Polls `check` every 250 ms, at most `tries` times. */
async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  tries = 120,
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`never saw ${what}`);
}

test('the service runs a LeakWatch, quiet while rooms come and go on the shared cache', async () => {
  const memstats = (await getJson(`${app.base}/debug/memstats`)).body;
  assert.ok(memstats.leakWatch.running >= 1, 'a watch runs');
  const before = memstats.leakWatch.alarms;
  for (let i = 0; i < 120; i++) assert.equal((await join(`calm-${i}`, 1 + i)).status, 200);
  // Several samples of churn on the shared cache.
  const seen = app.sampler.samples().length;
  await until('five more samples', async () =>
    app.sampler.samples().length >= seen + 5 ? true : undefined,
  );
  assert.deepEqual(await growthWarnings(), []);
  assert.equal((await getJson(`${app.base}/debug/memstats`)).body.leakWatch.alarms, before);
});

test('bug mode is flagged, naming where the per-room stores are created, in the warning log, memstats and /metrics', async () => {
  await postJson(`${app.base}/api/mode`, { mode: 'per-room' });
  for (let i = 0; i < 40; i++) {
    assert.equal((await join(`leaky-${i}`, 1 + i)).body.cacheMode, 'per-room');
  }
  const [warning] = await until('a TIERCACHE_MEMORY_GROWTH warning', async () => {
    const found = await growthWarnings();
    return found.length > 0 ? found : undefined;
  });
  assert.match(
    warning.message,
    /stores grew at createOwnCache \(service\/cache\/profile-cache\.ts:\d+:\d+\) \(\+\d+ stores/,
  );
  const memstats = (await getJson(`${app.base}/debug/memstats`)).body;
  assert.ok(memstats.leakWatch.alarms >= 1);
  assert.match(memstats.leakWatch.recent.at(-1).sites[0], /service\/cache\/profile-cache\.ts/);
  const metrics = await (await fetch(`${app.base}/metrics`)).text();
  assert.match(metrics, /^tiercache_leak_alarms_total\{metric="stores"\} [1-9]/m);
  assert.match(
    metrics,
    /^tiercache_site_stores\{site="createOwnCache \(service\/cache\/profile-cache\.ts:\d+:\d+\)"\} 40$/m,
  );
  assert.match(metrics, /^tiercache_rss_named_ratio 0\.\d+$/m);
});
