import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  PgRoomStore,
  type RoomLogEntry,
  type RoomStore,
  SqliteRoomStore,
} from '../../../service/data/index.ts';
import { createTestSchema, skipWithoutPostgres, type TestSchema } from '../../helpers/postgres.ts';

const entry = (
  rid: string,
  seq: number,
  token: number,
  key: string | null = null,
): RoomLogEntry => ({
  rid,
  seq,
  token,
  node: `node-${token}`,
  key,
  change: JSON.stringify({ type: 'chat', userId: 1, text: `m${seq}`, at: seq }),
  result: key === null ? null : JSON.stringify({ queued: true }),
  at: seq,
});

/** The same behaviour from both stores: fencing, batching, snapshots, keys. */
function conformance(
  name: string,
  open: () => Promise<{ store: RoomStore; done: () => Promise<void> }>,
) {
  describe(name, () => {
    it('a write under an older token than the latest claim is refused, and nothing of it lands', async () => {
      const { store, done } = await open();
      try {
        const first = await store.claim('r', 5, 100);
        assert.equal(first.token, 5);
        assert.equal(first.lastSeq, 0);
        await store.write({ kind: 'entry', entry: entry('r', 1, 5, 'k1') });
        const second = await store.claim('r', 7, 100);
        assert.equal(second.lastSeq, 1);
        assert.deepEqual(
          second.log.map((e) => e.seq),
          [1],
        );
        // The old owner, resumed, tries to write: fenced off.
        await assert.rejects(store.write({ kind: 'entry', entry: entry('r', 2, 5) }), {
          code: 'TIERCACHE_ROOM_STOPPED',
        });
        await assert.rejects(
          store.write({ kind: 'snapshot', rid: 'r', token: 5, seq: 2, state: '{}' }),
          { code: 'TIERCACHE_ROOM_STOPPED' },
        );
        // A claim with a token not above the latest is refused too.
        await assert.rejects(store.claim('r', 6, 100), { code: 'TIERCACHE_ROOM_STOPPED' });
        await store.write({ kind: 'entry', entry: entry('r', 2, 7) });
        const log = await store.entries('r');
        assert.deepEqual(
          log.map((e) => [e.seq, e.token]),
          [
            [1, 5],
            [2, 7],
          ],
        );
      } finally {
        await done();
      }
    });

    it('writes of one tick commit together; a refused one does not take the others down', async () => {
      const { store, done } = await open();
      try {
        await store.claim('a', 1, 100);
        await store.claim('b', 1, 100);
        await store.claim('b', 2, 100);
        const results = await Promise.allSettled([
          store.write({ kind: 'entry', entry: entry('a', 1, 1) }),
          store.write({ kind: 'entry', entry: entry('b', 1, 1) }), // stale
          store.write({ kind: 'entry', entry: entry('a', 2, 1) }),
          store.write({ kind: 'entry', entry: entry('b', 1, 2) }),
        ]);
        assert.deepEqual(
          results.map((r) => r.status),
          ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
        );
        assert.equal((await store.entries('a')).length, 2);
        assert.deepEqual(
          (await store.entries('b')).map((e) => e.token),
          [2],
        );
      } finally {
        await done();
      }
    });

    it('a claim loads the latest snapshot, the log after it and the recent keys', async () => {
      const { store, done } = await open();
      try {
        await store.claim('s', undefined, 100);
        for (let seq = 1; seq <= 5; seq++) {
          await store.write({ kind: 'entry', entry: entry('s', seq, 1, `key-${seq}`) });
        }
        await store.write({ kind: 'snapshot', rid: 's', token: 1, seq: 3, state: '{"n":3}' });
        // An older snapshot never replaces a newer one.
        await store.write({ kind: 'snapshot', rid: 's', token: 1, seq: 2, state: '{"n":2}' });
        const claimed = await store.claim('s', undefined, 2);
        assert.equal(claimed.token, 2, 'without a lease service the store numbers claims itself');
        assert.deepEqual(claimed.snapshot, { seq: 3, state: '{"n":3}' });
        assert.deepEqual(
          claimed.log.map((e) => e.seq),
          [4, 5],
        );
        assert.deepEqual(
          claimed.keys.map((k) => k.key),
          ['key-4', 'key-5'],
        );
        assert.deepEqual(await store.findKey('s', 'key-1'), { result: '{"queued":true}' });
        assert.equal(await store.findKey('s', 'nope'), undefined);
        // A key is stored once per room: a second entry with it is refused.
        await assert.rejects(store.write({ kind: 'entry', entry: entry('s', 6, 2, 'key-1') }));
      } finally {
        await done();
      }
    });
  });
}

conformance('SqliteRoomStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tiercache-room-store-'));
  const store = new SqliteRoomStore({ path: join(dir, 'rooms.sqlite') });
  return {
    store,
    done: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const skip = await skipWithoutPostgres();
const schemas: TestSchema[] = [];
after(async () => {
  for (const schema of schemas) await schema.drop();
});
if (skip === false) {
  conformance('PgRoomStore', async () => {
    const schema = await createTestSchema('room_store');
    schemas.push(schema);
    const store = new PgRoomStore({ url: schema.url, schema: schema.name });
    await store.ready();
    return { store, done: () => store.close() };
  });
} else {
  it('PgRoomStore', { skip }, () => undefined);
}
