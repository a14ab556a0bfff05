// KeyvTieredStore on a Redis Cluster the test starts itself: clear() finds a namespace's keys on
// every master (SCAN runs per node) and leaves other namespaces alone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Cluster } from 'ioredis';
import { Keyv } from 'keyv';
import { KeyvTieredStore } from 'tiercache/keyv';
import { type PrivateCluster, startRedisCluster } from '../helpers/redis-cluster.ts';

let cluster: PrivateCluster;
let client: Cluster;
before(async () => {
  cluster = await startRedisCluster();
  client = cluster.client();
});
after(async () => {
  client.disconnect();
  await cluster.kill();
});

test('clear() removes one namespace from every master', async () => {
  // Generous timeouts: the cluster shares a busy machine; this test counts keys, not time.
  const options = { name: 'kv', redis: client, redisTimeoutMs: 10_000 };
  const a = new KeyvTieredStore(options);
  const b = new KeyvTieredStore(options);
  const keyvA = new Keyv({ store: a, namespace: 'a' });
  const keyvB = new Keyv({ store: b, namespace: 'b' });
  try {
    const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`);
    for (const key of keys) {
      await keyvA.set(key, `a-${key}`);
      await keyvB.set(key, `b-${key}`);
    }
    // 200 keys spread over the slots of all three masters.
    const perMaster = await Promise.all(
      client.nodes('master').map(async (node) => (await node.keys('kv:a:*')).length),
    );
    assert.equal(perMaster.length, 3);
    assert.ok(
      perMaster.every((n) => n > 0),
      `keys per master: ${perMaster.join(', ')}`,
    );

    await keyvA.clear();
    const left = await Promise.all(
      client.nodes('master').map(async (node) => (await node.keys('kv:a:*')).length),
    );
    assert.deepEqual(left, [0, 0, 0]);
    assert.equal(await keyvA.get('key-7'), undefined);
    assert.equal(await keyvB.get('key-7'), 'b-key-7');
    assert.equal(await keyvB.has('key-199'), true);
  } finally {
    await a.disconnect();
    await b.disconnect();
  }
});
