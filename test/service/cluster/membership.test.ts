import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { NodeRing, RedisMembership } from '../../../service/cluster/index.ts';
import { REDIS_URL, sharedRedis, skipWithoutRedis, uniquePrefix } from '../../helpers/redis.ts';
import { startRedisServer } from '../../helpers/redis-server.ts';

const skip = await skipWithoutRedis();
const redis = skip === false ? sharedRedis() : undefined;
after(() => redis?.disconnect());

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(20);
  assert.ok(check(), what);
}

test('nodes see each other join, leave, and drop out when they stop beating', {
  skip,
}, async () => {
  const prefix = uniquePrefix('members');
  const views = new Map<string, readonly string[]>();
  const ringA = new NodeRing('http://a', []);
  const join = (self: string, client: Redis) =>
    new RedisMembership({
      redis: client,
      prefix,
      self,
      ttlMs: 1_000,
      onChange: (members) => {
        views.set(self, members);
        if (self === 'http://a') ringA.setMembers(members);
      },
    });
  const bClient = new Redis(REDIS_URL, { maxRetriesPerRequest: 0 });
  bClient.on('error', () => undefined);
  const a = join('http://a', redis!);
  const b = join('http://b', bClient);
  const c = join('http://c', redis!);
  try {
    await a.start();
    await b.start();
    await c.start();
    await until(() => a.members.length === 3, 'A sees all three');
    assert.deepEqual(a.members, ['http://a', 'http://b', 'http://c']);
    // Ownership over the live members: every node computes the same owner.
    const ringC = new NodeRing('http://c', c.members);
    for (let i = 0; i < 50; i++) assert.equal(ringA.owner(`r${i}`), ringC.owner(`r${i}`));

    await c.leave();
    await until(() => a.members.length === 2, 'A sees C leave at its next beat');
    assert.deepEqual(a.members, ['http://a', 'http://b']);

    // B stops beating (its connection is cut): after the ttl it is dropped.
    bClient.disconnect();
    await until(() => a.members.length === 1, 'A sees B drop out');
    assert.deepEqual(a.members, ['http://a']);
    assert.equal(ringA.owner('anything'), 'http://a');
  } finally {
    await a.leave();
    await c.leave();
    bClient.disconnect();
    await redis!.del(`${prefix}:members`);
  }
});

test('the first beat is retried while Redis does not answer at start-up', { skip }, async () => {
  const server = await startRedisServer();
  const client = server.client({ commandTimeout: 200, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    await client.ping();
    server.pause();
    const membership = new RedisMembership({
      redis: client,
      prefix: uniquePrefix('members'),
      self: 'http://a',
      ttlMs: 400,
      onChange: () => undefined,
    });
    const started = membership.start();
    await sleep(700); // several beats time out meanwhile
    server.resume();
    assert.deepEqual(await started, ['http://a']);
    await membership.leave();
  } finally {
    server.resume();
    client.disconnect();
    await server.kill();
  }
});
