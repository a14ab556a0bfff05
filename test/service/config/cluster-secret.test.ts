import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFromEnv } from '../../../service/config.ts';

const two = 'http://127.0.0.1:1,http://127.0.0.1:2';

test('several NODES without CLUSTER_SECRET refuse to start, naming the option', () => {
  assert.throws(() => configFromEnv({ NODES: two }), {
    code: 'TIERCACHE_INVALID_OPTION',
    message: /CLUSTER_SECRET/,
  });
  assert.throws(() => configFromEnv({ NODES: two, CLUSTER_SECRET: 'short' }), {
    code: 'TIERCACHE_INVALID_OPTION',
    message: /CLUSTER_SECRET/,
  });
  const config = configFromEnv({ NODES: two, CLUSTER_SECRET: 'a-cluster-secret-0123' });
  assert.equal(config.clusterSecret, 'a-cluster-secret-0123');
});

test('one node needs no secret; the connection limits read their variables', () => {
  assert.equal(configFromEnv({}).clusterSecret, undefined);
  assert.equal(configFromEnv({ NODES: 'http://127.0.0.1:1' }).clusterSecret, undefined);
  const config = configFromEnv({ MAX_CONNECTIONS: '900', MAX_CONNECTIONS_PER_ADDRESS: '40' });
  assert.equal(config.maxConnections, 900);
  assert.equal(config.maxConnectionsPerAddress, 40);
  assert.throws(() => configFromEnv({ MAX_CONNECTIONS: '2' }), {
    code: 'TIERCACHE_INVALID_OPTION',
  });
});
