// The official Keyv adapter suite against KeyvTieredStore over the shared Redis (REDIS_URL):
// one adapter (and TieredCache) per Keyv, all on one cache name, so namespaces share Redis.
import { randomBytes } from 'node:crypto';
import keyvTestSuite from '@keyv/test-suite';
import { Redis } from 'ioredis';
import Keyv from 'keyv';
import * as test from 'vitest';
import { KeyvTieredStore } from '../../../src/keyv/index.ts';

// keyv-test-suite.test.ts sets this when the shared Redis is unreachable outside CI.
const noRedis = process.env.KEYV_SUITE_NO_REDIS === '1';
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  maxRetriesPerRequest: 1,
  lazyConnect: noRedis,
});
const name = `t-keyv-suite-${randomBytes(4).toString('hex')}`;

test.describe.skipIf(noRedis)('KeyvTieredStore over memory and Redis', () => {
  const open: KeyvTieredStore[] = [];
  const adapter = () => {
    const store = new KeyvTieredStore({ name, redis });
    open.push(store);
    return store;
  };
  test.afterEach(async () => {
    for (const store of open.splice(0)) await store.disconnect();
  });
  test.afterAll(async () => {
    const last = new KeyvTieredStore({ name, redis });
    await last.clear(); // no namespace: every key of this cache name
    await last.disconnect();
    redis.disconnect();
  });
  keyvTestSuite(test, Keyv, adapter);
});
