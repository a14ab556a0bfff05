import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runChurnSoak } from '../../../service/soak/churn-soak.ts';

const MiB = 1024 * 1024;

// The shortened soak (`npm run soak` churns 20,000 rooms): enough batches after warm-up for
// LeakWatch to judge a full window, well under a minute.
test('shared cache: churning rooms through create, use and idle stop keeps memory flat', async (t) => {
  if (typeof globalThis.gc !== 'function') return t.skip('needs --expose-gc');
  const result = await runChurnSoak({
    mode: 'shared',
    rooms: 2400,
    batch: 200,
    warmupBatches: 4,
    // Every user is read (and cached) during warm-up, so what follows is pure churn.
    users: 500,
    windowSize: 8,
    thresholdBytes: 8 * MiB,
  });
  assert.equal(result.growth, undefined, result.growth?.message);
  const trend = result.trendPer1000Rooms;
  assert.ok(trend.heapUsed < 1 * MiB, `heap trend ${trend.heapUsed} B per 1000 rooms`);
  assert.ok(trend.rss < 4 * MiB, `rss trend ${trend.rss} B per 1000 rooms`);
  assert.ok(trend.stores < 64 * 1024, `store trend ${trend.stores} B per 1000 rooms`);
  assert.equal(result.samples.at(-1)?.liveRooms, 0, 'every room was stopped');
  assert.ok(result.messages >= 2400 * 8);
});

test('one cache per room: LeakWatch flags the growth', async (t) => {
  if (typeof globalThis.gc !== 'function') return t.skip('needs --expose-gc');
  const result = await runChurnSoak({
    mode: 'per-room',
    rooms: 100,
    batch: 10,
    warmupBatches: 2,
    windowSize: 6,
    thresholdBytes: 8 * MiB,
    bugStoreBytes: MiB,
  });
  assert.ok(result.growth, 'LeakWatch raised an alarm');
  const metrics = result.growth.grew.map((g) => g.metric);
  assert.ok(metrics.includes('stores'), `flagged: ${metrics.join(', ')}`);
  assert.ok(result.trendPer1000Rooms.stores > 500 * MiB);
});
