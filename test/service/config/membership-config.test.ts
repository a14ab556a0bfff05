import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFromEnv } from '../../../service/config.ts';

test('membership, leases and the room store are read from the environment', () => {
  const config = configFromEnv({
    MEMBERSHIP: 'redis',
    REDIS_URL: 'redis://127.0.0.1:6379',
    DATABASE_URL: 'postgres://postgres@127.0.0.1/test',
    CLUSTER_SECRET: 'a-secret-of-16-chars',
    DATABASE_SCHEMA: 'rooms',
    LEASE_MS: '2500',
    CLUSTER_NAME: 'prod-rooms',
    SNAPSHOT_EVERY: '50',
    IDEMPOTENCY_WINDOW: '500',
  });
  assert.equal(config.membership, 'redis');
  assert.equal(config.leaseMs, 2500);
  assert.equal(config.clusterName, 'prod-rooms');
  assert.equal(config.databaseSchema, 'rooms');
  assert.equal(config.snapshotEvery, 50);
  assert.equal(config.keyWindow, 500);
  const single = configFromEnv({});
  assert.equal(single.membership, 'static');
  assert.equal(single.databaseUrl, undefined, 'npm start needs no PostgreSQL');
  assert.equal(single.redisUrl, undefined, 'npm start needs no Redis');
});

test('a membership that cannot work is refused at start, naming the variable', () => {
  const refused = (env: NodeJS.ProcessEnv, name: string) =>
    assert.throws(
      () => configFromEnv(env),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'TIERCACHE_INVALID_OPTION');
        assert.match(error.message, new RegExp(name));
        return true;
      },
    );
  refused({ MEMBERSHIP: 'gossip' }, 'MEMBERSHIP');
  refused({ MEMBERSHIP: 'redis', DATABASE_URL: 'postgres://x/y' }, 'MEMBERSHIP');
  // (the order of the checks: Redis, then PostgreSQL, then the secret, then NODES)
  refused({ MEMBERSHIP: 'redis', REDIS_URL: 'redis://127.0.0.1:6379' }, 'DATABASE_URL');
  refused(
    { MEMBERSHIP: 'redis', REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: 'postgres://x/y' },
    'CLUSTER_SECRET',
  );
  refused(
    {
      MEMBERSHIP: 'redis',
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgres://x/y',
      CLUSTER_SECRET: 'a-secret-of-16-chars',
      NODES: 'http://a,http://b',
    },
    'NODES',
  );
  refused({ LEASE_MS: '50' }, 'LEASE_MS');
  refused({ CLUSTER_NAME: 'a:b' }, 'CLUSTER_NAME');
});
