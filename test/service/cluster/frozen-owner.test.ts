import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisLeases } from '../../../service/cluster/index.ts';
import { RoomService } from '../../../service/index.ts';
import { createTestSchema, skipWithoutPostgres, type TestSchema } from '../../helpers/postgres.ts';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../../helpers/redis.ts';
import { testConfig } from '../helpers/test-app.ts';

const skip = (await skipWithoutRedis()) || (await skipWithoutPostgres());
const redis = skip === false ? sharedRedis() : undefined;
let schema: TestSchema | undefined;
after(async () => {
  redis?.disconnect();
  await schema?.drop();
});

// Long enough that a busy machine never lets the lease lapse by itself between renewals.
const LEASE_MS = 1_500;

/** Blocks this thread, timers and I/O included, as SIGSTOP would freeze a node. */
function freeze(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

test('an owner frozen past its lease drops the room on resume and applies nothing queued', {
  skip,
}, async () => {
  schema = await createTestSchema('frozen');
  const prefix = uniquePrefix('frozen');
  const node = (name: string) => {
    const { config, cleanup } = testConfig({
      databaseUrl: schema!.url,
      databaseSchema: schema!.name,
      cacheName: `${prefix}-${name}`,
    });
    const service = new RoomService(config);
    const leases = new RedisLeases({
      redis: redis!,
      prefix,
      holder: `${name}#1`,
      leaseMs: LEASE_MS,
    });
    service.useLeases(leases, `http://${name}`);
    return { service, cleanup };
  };
  const a = node('a');
  const b = node('b');
  try {
    await a.service.deliver('f', { type: 'join', userId: 1 }, 'k-join');
    await a.service.deliver('f', { type: 'chat', userId: 1, text: 'before' }, 'k-before');

    // A message reaches A's mailbox, then A freezes for three leases before handling it.
    const queued = a.service.deliver('f', { type: 'chat', userId: 1, text: 'late' }, 'k-late');
    freeze(3 * LEASE_MS);
    await assert.rejects(queued, { code: 'TIERCACHE_ROOM_STOPPED' }, 'refused, not applied');
    await sleep(50);
    assert.equal(a.service.router.get('f'), undefined, 'A dropped the room');

    // The client resends to B with the same key: B takes the room over, with its state.
    let reply: unknown;
    for (let i = 0; i < 100 && reply === undefined; i++) {
      reply = await b.service
        .deliver('f', { type: 'chat', userId: 1, text: 'late' }, 'k-late')
        .catch(() => sleep(50).then(() => undefined));
    }
    assert.deepEqual(reply, { status: 202, queued: true });
    const snapshot = await b.service.snapshot('f');
    assert.deepEqual(
      snapshot.chat.map((c) => c.text),
      ['before', 'late'],
    );

    const log = await b.service.store.entries('f');
    assert.deepEqual(
      log.map((e) => [e.key, e.node]),
      [
        ['k-join', 'http://a'],
        ['k-before', 'http://a'],
        ['k-late', 'http://b'],
      ],
    );
    assert.ok(log[2]!.token > log[1]!.token, "B's token is above A's");
  } finally {
    await a.service.close();
    await b.service.close();
    a.cleanup();
    b.cleanup();
    await redis!.del(`${prefix}:lease:{f}`, `${prefix}:fence:{f}`);
  }
});
