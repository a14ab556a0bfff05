import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep, setImmediate as tick } from 'node:timers/promises';
import { TieredCache, tieredCaches } from 'tiercache';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts';

const gc = globalThis.gc as () => void;

it('lists live caches with their stats, and drops closed ones', async () => {
  const cache = new TieredCache<string>({ name: 'registry-live', redis: false });
  await cache.get('k');
  const listed = tieredCaches().find((entry) => entry.name === 'registry-live');
  assert.ok(listed);
  assert.equal(listed.stats.memory.misses, 1);
  assert.ok(Object.isFrozen(listed.stats));
  await cache.close();
  assert.equal(
    tieredCaches().find((entry) => entry.name === 'registry-live'),
    undefined,
  );
});

it('holds no strong reference: a cache dropped without close() is collected', async () => {
  let collected = false;
  const registry = new FinalizationRegistry(() => {
    collected = true;
  });
  (() => {
    const cache = new TieredCache<string>({ name: 'registry-dropped', redis: false });
    registry.register(cache, 'cache');
  })();
  for (let i = 0; i < 20 && !collected; i++) {
    gc();
    await tick();
  }
  assert.equal(collected, true);
  assert.equal(
    tieredCaches().find((entry) => entry.name === 'registry-dropped'),
    undefined,
  );
});

it('a cache with a bus dropped without close() is collected and its subscriber closed', async (t) => {
  const skip = await skipWithoutRedis();
  if (skip) return t.skip(skip);
  const client = sharedRedis();
  const name = uniquePrefix('registry-bus');
  try {
    let collected = false;
    const registry = new FinalizationRegistry(() => {
      collected = true;
    });
    await (async () => {
      const cache = new TieredCache<string>({ name, redis: client });
      registry.register(cache, 'cache');
      await cache.set('k', 'v');
    })();
    const subscribers = async () =>
      Number(((await client.pubsub('NUMSUB', `${name}:bus`)) as [string, number])[1]);
    while ((await subscribers()) === 0) await sleep(10);
    for (let i = 0; i < 50 && !collected; i++) {
      gc();
      await sleep(10);
    }
    assert.equal(collected, true, 'the subscriber connection must not keep the cache alive');
    while ((await subscribers()) !== 0) await sleep(10);
  } finally {
    await client.del(`${name}:k`);
    client.disconnect();
  }
});
