// Smoke test of the installed package, run by test/package/install-smoke.test.ts in a project
// that installed the packed tarball (or a path to a clone) with ioredis and nothing else. Every
// subpath export loads; a TieredCache works over the local Redis; the Keyv adapter works;
// /metrics answers with TIERCACHE_MISSING_DEPENDENCY because prom-client is not installed
// (SMOKE_PROM_CLIENT=present when it is: a path install links a clone that has its own).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { Redis } from 'ioredis';
import { MemoryStore, TieredCache } from 'tiercache';
import { createDiagnosticsHandler } from 'tiercache/diagnostics';
import { ErrorCodes, TiercacheError } from 'tiercache/errors';
import { KeyvMemoryStore, KeyvTieredStore } from 'tiercache/keyv';
import { MemoryStore as MemoryStoreFromSubpath } from 'tiercache/memory';
import { TieredCache as TieredCacheFromSubpath } from 'tiercache/tiered';

assert.equal(MemoryStore, MemoryStoreFromSubpath);
assert.equal(TieredCache, TieredCacheFromSubpath);
assert.equal(ErrorCodes.MISSING_DEPENDENCY, 'TIERCACHE_MISSING_DEPENDENCY');

// The README's quick start, as a user would run it.
const name = `smoke-${process.pid}-${Date.now().toString(36)}`;
const quick = spawnSync(process.execPath, ['quick-start.mjs'], {
  encoding: 'utf8',
  env: { ...process.env, SMOKE_CACHE_NAME: name },
});
assert.equal(quick.status, 0, quick.stderr);
assert.match(quick.stdout, /id: '42', name: 'user 42'/);

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
try {
  let loads = 0;
  const cache = new TieredCache({
    name,
    redis,
    load: async (ids) => {
      loads++;
      return new Map(ids.map((id) => [id, { id }]));
    },
  });
  // '42' was written to Redis by the quick start (its loader's value): no load for it.
  assert.deepEqual(await cache.getMany(['42', '7']), [{ id: '42', name: 'user 42' }, { id: '7' }]);
  assert.equal(loads, 1);
  assert.ok((await redis.exists(`${name}:7`)) === 1, 'the loaded value reached Redis');
  await cache.deleteMany(['1', '2', '7', '42']);
  await cache.close();
} finally {
  redis.disconnect();
}

const adapter = new KeyvMemoryStore({ maxBytes: 2 ** 20 });
await adapter.set('k', 'v');
assert.equal(await adapter.get('k'), 'v');
await adapter.disconnect();
assert.equal(typeof KeyvTieredStore, 'function');

const handler = createDiagnosticsHandler();
const server = http.createServer((req, res) => handler(req, res));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
try {
  const base = `http://127.0.0.1:${server.address().port}`;
  const memstats = await fetch(`${base}/debug/memstats`);
  assert.equal(memstats.status, 200);
  const metrics = await fetch(`${base}/metrics`);
  if (process.env.SMOKE_PROM_CLIENT === 'present') {
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^tiercache_memory_bytes\{kind="rss"\} [1-9]/m);
  } else {
    const body = await metrics.json();
    assert.equal(metrics.status, 501);
    assert.equal(body.error.code, 'TIERCACHE_MISSING_DEPENDENCY');
    assert.match(body.error.message, /npm install prom-client/);
  }
} finally {
  server.close();
}
assert.ok(new TiercacheError('TIERCACHE_INVALID_ARGUMENT', 'x') instanceof Error);
console.log('smoke: ok');
