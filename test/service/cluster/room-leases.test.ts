import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisLeases } from '../../../service/cluster/index.ts';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../../helpers/redis.ts';

const skip = await skipWithoutRedis();
const redis = skip === false ? sharedRedis() : undefined;
after(() => redis?.disconnect());

function leases(prefix: string, holder: string, leaseMs = 5_000): RedisLeases {
  return new RedisLeases({ redis: redis!, prefix, holder, leaseMs });
}

test('one holder at a time; every grant carries a larger token', { skip }, async () => {
  const prefix = uniquePrefix('leases');
  const a = leases(prefix, 'http://a#1');
  const b = leases(prefix, 'http://b#1');
  try {
    const first = await a.acquire('room');
    assert.ok(first !== undefined && first > 0);
    assert.equal(a.valid('room', first), true);
    await assert.rejects(b.acquire('room'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'TIERCACHE_ROOM_STOPPED');
      assert.match(error.message, /held by http:\/\/a/);
      return true;
    });
    await a.release('room', first);
    assert.equal(a.valid('room', first), false);
    const second = await b.acquire('room');
    assert.ok(second! > first, `${second} > ${first}`);
    // The old holder cannot release what is no longer its own.
    await a.release('room', first);
    await assert.rejects(a.acquire('room'), { code: 'TIERCACHE_ROOM_STOPPED' });
    // Holding again (a room built again before its release landed) still takes a new token.
    const third = await b.acquire('room');
    assert.ok(third! > second!);
    assert.equal(b.valid('room', second), false);
    assert.equal(b.valid('room', third), true);
  } finally {
    a.close();
    b.close();
    await redis!.del(`${prefix}:lease:{room}`, `${prefix}:fence:{room}`);
  }
});

test('a lease not renewed lapses: locally first, then in Redis, then another node takes it', {
  skip,
}, async () => {
  const prefix = uniquePrefix('leases');
  const a = leases(prefix, 'http://a#1', 300);
  const b = leases(prefix, 'http://b#1', 300);
  try {
    const token = await a.acquire('room');
    a.close(); // stops renewing, as a frozen or cut-off node would
    let tries = 0;
    let taken: number | undefined;
    while (taken === undefined && tries++ < 100) {
      taken = await b.acquire('room').catch(() => undefined);
      if (taken === undefined) {
        // Whenever Redis still has A's lease, A may or may not count on it; once B holds it,
        // A must not.
        await sleep(20);
      }
    }
    assert.ok(taken !== undefined && taken > token!, 'B took the room over');
    assert.equal(a.valid('room', token), false, "A's lease lapsed locally before B got it");
  } finally {
    a.close();
    b.close();
    await redis!.del(`${prefix}:lease:{room}`, `${prefix}:fence:{room}`);
  }
});

test('a lease taken away is reported lost at the next renewal', { skip }, async () => {
  const prefix = uniquePrefix('leases');
  // A lease long enough that 'kept' never lapses on a busy machine between renewals.
  const a = leases(prefix, 'http://a#1', 3_000);
  const lost: string[] = [];
  a.onLost((rid) => lost.push(rid));
  try {
    const kept = await a.acquire('kept');
    await a.acquire('stolen');
    await redis!.set(`${prefix}:lease:{stolen}`, '999|http://b#1', 'PX', 5_000);
    for (let i = 0; i < 250 && lost.length === 0; i++) await sleep(20);
    assert.deepEqual(lost, ['stolen']);
    assert.equal(a.valid('kept', kept), true, 'the other lease is renewed');
    assert.equal(a.size, 1);
  } finally {
    a.close();
    await redis!.del(
      `${prefix}:lease:{kept}`,
      `${prefix}:fence:{kept}`,
      `${prefix}:lease:{stolen}`,
      `${prefix}:fence:{stolen}`,
    );
  }
});
