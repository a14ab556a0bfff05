import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import keySlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import { TieredCache } from 'tiercache';
import { type PrivateCluster, startRedisCluster } from '../helpers/redis-cluster.ts';
import { commandCalls, type PrivateRedis, startRedisServer } from '../helpers/redis-server.ts';

// Commands are counted on the server with `INFO commandstats` deltas, not by trusting the client.
async function delta(
  admins: Redis[],
  action: () => Promise<unknown>,
): Promise<(command: string) => number> {
  const sum = async () => {
    const total = new Map<string, number>();
    for (const admin of admins) {
      for (const [command, calls] of await commandCalls(admin)) {
        total.set(command, (total.get(command) ?? 0) + calls);
      }
    }
    return total;
  };
  const before = await sum();
  await action();
  const after = await sum();
  return (command) => (after.get(command) ?? 0) - (before.get(command) ?? 0);
}

// These tests count commands, not time: a generous per-command timeout keeps a busy 2-core
// machine (a stalled MGET over the default 500 ms) from turning a count into a fail-over.
const redisTimeoutMs = 10_000;

const keys = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('round trips on a standalone server', () => {
  let server: PrivateRedis;
  let client: Redis;
  let admin: Redis;
  before(async () => {
    server = await startRedisServer();
    client = server.client();
    admin = server.client();
  });
  after(async () => {
    client.disconnect();
    admin.disconnect();
    await server.kill();
  });

  it('getMany of 1000 keys in Redis is one MGET, and no GET', async () => {
    const writer = new TieredCache<number>({
      name: 'rt1',
      redis: client,
      redisTimeoutMs,
      memory: false,
    });
    const reader = new TieredCache<number>({
      name: 'rt1',
      redis: client,
      redisTimeoutMs,
      bus: false,
    });
    await writer.setMany(keys(1000).map((key, i) => [key, i]));
    const count = await delta([admin], async () => {
      const values = await reader.getMany(keys(1000));
      assert.equal(values[999], 999);
    });
    assert.equal(count('mget'), 1);
    assert.equal(count('get'), 0);
    // The second read is served by memory: no Redis command at all.
    const again = await delta([admin], () => reader.getMany(keys(1000)));
    assert.equal(again('mget'), 0);
    await writer.close();
    await reader.close();
  });

  it('misses go to one loader call and are back-filled with one SET each, no GET', async () => {
    let loads = 0;
    const cache = new TieredCache<string>({
      name: 'rt2',
      redis: client,
      redisTimeoutMs,
      bus: false,
      load: (batch) => {
        loads++;
        return batch.map((key) => `v${key}`);
      },
    });
    const count = await delta([admin], async () => {
      await cache.getMany(keys(1000));
      // The back-fill is sent before getMany answers but may still be running: a PING on the
      // same connection returns only after Redis has processed it.
      await client.ping();
    });
    assert.equal(loads, 1);
    assert.equal(count('mget'), 1);
    assert.equal(count('set'), 1000);
    assert.equal(count('get'), 0);
    await cache.close();
  });

  it('1000 concurrent reads of one key are one GET, and one load when Redis misses', async () => {
    let loads = 0;
    const cache = new TieredCache<string>({
      name: 'rt4',
      redis: client,
      redisTimeoutMs,
      bus: false,
      load: (batch) => {
        loads++;
        return batch.map((key) => `v${key}`);
      },
    });
    const cold = await delta([admin], () =>
      Promise.all(Array.from({ length: 1000 }, () => cache.get('hot'))),
    );
    assert.equal(cold('get'), 1);
    assert.equal(loads, 1);
    const warm = await delta([admin], () =>
      Promise.all(Array.from({ length: 1000 }, () => cache.get('hot'))),
    );
    assert.equal(warm('get'), 1, 'fresh reads go to Redis, merged into one GET');
    assert.equal(loads, 1);
    await cache.close();
  });

  it('100k keys are read in chunks of redisBatchSize (10 MGETs of 10,000)', async () => {
    // 100k writes and reads on a shared 2-core machine: give each chunk time to finish.
    const cache = new TieredCache<number>({
      name: 'rt3',
      redis: client,
      memory: false,
      redisTimeoutMs: 20_000,
    });
    const many = keys(100_000);
    await cache.setMany(many.map((key, i) => [key, i]));
    const count = await delta([admin], async () => {
      const values = await cache.getMany(many);
      assert.equal(values.length, 100_000);
      assert.equal(values[12_345], 12_345);
      assert.equal(values[99_999], 99_999);
    });
    assert.equal(count('mget'), 10);
    await cache.close();
  });
});

describe('round trips on a three-master cluster', () => {
  let cluster: PrivateCluster;
  let client: Cluster;
  let admins: Redis[];
  before(async () => {
    cluster = await startRedisCluster();
    client = cluster.client();
    admins = cluster.nodes.map((node) => node.client());
  });
  after(async () => {
    client.disconnect();
    for (const admin of admins) admin.disconnect();
    await cluster.kill();
  });

  it('computes the same key slots as the cluster', async () => {
    const samples = [
      '',
      'a',
      'foo',
      'user:1000',
      '{user1000}.following',
      'x{}y',
      'ключ',
      '🙂{tag}',
    ];
    for (const key of samples) {
      assert.equal(keySlot(key), await admins[0]!.cluster('KEYSLOT', key), key);
    }
  });

  it('getMany of 1000 keys is one MGET per slot group', async () => {
    const cache = new TieredCache<number>({
      name: 'rtc',
      redis: client,
      redisTimeoutMs,
      memory: false,
    });
    const all = keys(1000);
    await cache.setMany(all.map((key, i) => [key, i]));
    const slots = new Set(all.map((key) => keySlot(`rtc:${key}`)));
    const count = await delta(admins, async () => {
      const values = await cache.getMany(all);
      assert.equal(values[500], 500);
    });
    assert.equal(count('mget'), slots.size);
    assert.equal(count('get'), 0);
    await cache.close();
  });

  it('groups by the slot of the full key when the client has its own keyPrefix', async () => {
    const prefixed = cluster.client({ keyPrefix: 'app:' });
    const cache = new TieredCache<number>({
      name: 'rtp',
      redis: prefixed,
      memory: false,
      redisTimeoutMs: 10_000,
    });
    const errors: Error[] = [];
    cache.on('error', (error) => errors.push(error));
    try {
      // Enough keys that some share a slot: grouped by the wrong slot, those MGETs fail CROSSSLOT.
      const all = keys(2000);
      await cache.setMany(all.map((key, i) => [key, i]));
      assert.deepEqual(
        await cache.getMany(all),
        all.map((_, i) => i),
      );
      assert.deepEqual(errors, [], 'no CROSSSLOT error');
    } finally {
      await cache.close();
      prefixed.disconnect();
    }
  });

  it('keys sharing a {hash tag} are read with one MGET', async () => {
    const cache = new TieredCache<number>({
      name: '{room-7}',
      redis: client,
      redisTimeoutMs,
      memory: false,
    });
    const all = keys(1000);
    await cache.setMany(all.map((key, i) => [key, i]));
    const count = await delta(admins, () => cache.getMany(all));
    assert.equal(count('mget'), 1);
    await cache.close();
  });
});
