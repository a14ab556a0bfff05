import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startApp } from '../../../service/app.ts';
import { configFromEnv } from '../../../service/config.ts';
import { testConfig } from '../helpers/test-app.ts';

test('defaults: loopback 8080, shared cache, no Redis, one node', () => {
  const config = configFromEnv({});
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 8080);
  assert.equal(config.cacheMode, 'shared');
  assert.equal(config.redisUrl, undefined);
  assert.deepEqual(config.nodes, []);
  assert.match(config.dataPath, /\.data\/rooms\.sqlite$/);
});

test('NODES is a comma-separated list of base URLs', () => {
  const config = configFromEnv({
    NODES: 'http://127.0.0.1:1/, http://127.0.0.1:2',
    CLUSTER_SECRET: 'a-cluster-secret-0123',
  });
  assert.deepEqual(config.nodes, ['http://127.0.0.1:1', 'http://127.0.0.1:2']);
});

test('a non-loopback HOST requires a debug token', () => {
  assert.throws(() => configFromEnv({ HOST: '0.0.0.0' }), { code: 'TIERCACHE_INSECURE_DEBUG' });
  assert.throws(() => configFromEnv({ HOST: '0.0.0.0', DEBUG_TOKEN: 'short' }), {
    code: 'TIERCACHE_INVALID_OPTION',
  });
  assert.equal(
    configFromEnv({ HOST: '0.0.0.0', DEBUG_TOKEN: 'a-long-enough-secret' }).host,
    '0.0.0.0',
  );
  assert.equal(configFromEnv({ HOST: '::1' }).host, '::1');
});

test('bad numbers and modes name the variable', () => {
  assert.throws(() => configFromEnv({ PORT: 'eighty' }), /PORT/);
  assert.throws(() => configFromEnv({ MAILBOX_SIZE: '0' }), /MAILBOX_SIZE/);
  assert.throws(() => configFromEnv({ CACHE_MODE: 'leaky' }), /CACHE_MODE/);
});

test('a node missing from NODES refuses to start and releases its port', async () => {
  const { config, cleanup } = testConfig({ nodes: ['http://127.0.0.1:1', 'http://127.0.0.1:2'] });
  await assert.rejects(startApp(config), { code: 'TIERCACHE_INVALID_OPTION' });
  cleanup();
});

test('the default cache name is one TieredCache accepts (npm start uses it)', async () => {
  const { TieredCache } = await import('tiercache');
  const config = configFromEnv({});
  const cache = new TieredCache({ name: config.cacheName, memory: false });
  await cache.close();
  assert.throws(() => configFromEnv({ CACHE_NAME: 'rooms:profiles' }), {
    code: 'TIERCACHE_INVALID_OPTION',
  });
});
