import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TieredCache } from 'tiercache';
import type { DebugServer, Memstats } from 'tiercache/diagnostics';
import { startTestServer } from './helpers.ts';

let server: DebugServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

test('memstats and /metrics report every live TieredCache with its stats', async () => {
  const name = `diag-cache-${process.pid}`;
  const cache = new TieredCache<string>({
    name,
    redis: false,
    load: async (keys) => new Map(keys.map((k) => [k, `value of ${k}`])),
  });
  await cache.getMany(['a', 'b', 'c']);
  await cache.get('a');

  const m = (await (await fetch(`${server.url}/debug/memstats`)).json()) as Memstats;
  const listed = m.caches.find((c) => c.name === name);
  assert.ok(listed, 'the cache is listed');
  assert.equal(listed.stats.memory.hits, 1);
  assert.equal(listed.stats.loader.keys, 3);

  const text = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(
    text,
    new RegExp(`^tiercache_cache_stat\\{cache="${name}",stat="memory_hits"\\} 1$`, 'm'),
  );
  assert.match(
    text,
    new RegExp(`^tiercache_cache_stat\\{cache="${name}",stat="loader_keys"\\} 3$`, 'm'),
  );

  await cache.close();
  const afterClose = (await (await fetch(`${server.url}/debug/memstats`)).json()) as Memstats;
  assert.equal(
    afterClose.caches.find((c) => c.name === name),
    undefined,
  );
});
