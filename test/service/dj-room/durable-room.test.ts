import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startApp } from '../../../service/index.ts';
import { type Json, testConfig } from '../helpers/test-app.ts';

async function post(base: string, rid: string, body: unknown, key?: string) {
  const res = await fetch(`${base}/rooms/${rid}/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function room(base: string, rid: string): Promise<Json> {
  const res = await fetch(`${base}/rooms/${rid}`);
  assert.equal(res.status, 200);
  return res.json();
}

test('a restarted node resumes its rooms from SQLite: members, seats, recent chat', async () => {
  const { config, cleanup } = testConfig({ snapshotEvery: 4 });
  try {
    let app = await startApp(config);
    let base = app.url.replace(/\/$/, '');
    for (const userId of [1, 2, 3])
      assert.equal((await post(base, 'r', { type: 'join', userId })).status, 200);
    assert.equal((await post(base, 'r', { type: 'leave', userId: 3 })).status, 200);
    assert.equal((await post(base, 'r', { type: 'seat', userId: 1, seat: 3 })).status, 200);
    // 10 lines: the log has a snapshot (every 4 entries) and a tail after it.
    for (let i = 0; i < 10; i++) {
      assert.equal(
        (await post(base, 'r', { type: 'chat', userId: 2, text: `line ${i}` })).status,
        202,
      );
    }
    const before = await room(base, 'r');
    await app.close();

    app = await startApp(config);
    base = app.url.replace(/\/$/, '');
    const after = await room(base, 'r');
    assert.deepEqual(after.members.map((m: Json) => m.id).sort(), [1, 2]);
    assert.deepEqual(after.seats, before.seats);
    assert.equal(after.seats[3], 1);
    assert.deepEqual(
      after.chat.map((c: Json) => c.text),
      before.chat.map((c: Json) => c.text),
    );
    // It goes on where it stopped: the log continues without a gap.
    assert.equal((await post(base, 'r', { type: 'chat', userId: 1, text: 'back' })).status, 202);
    const entries = await app.service.store.entries('r');
    assert.deepEqual(
      entries.map((e) => e.seq),
      entries.map((_, i) => i + 1),
    );
    assert.ok(entries.at(-1)!.token > entries[0]!.token, 'the new start claimed a new token');
    await app.close();
  } finally {
    cleanup();
  }
});

test('a resend with the same idempotency key is applied once and gets the first reply', async () => {
  const { config, cleanup } = testConfig();
  try {
    let app = await startApp(config);
    let base = app.url.replace(/\/$/, '');
    await post(base, 'k', { type: 'join', userId: 1 }, 'join-1');
    await post(base, 'k', { type: 'join', userId: 2 }, 'join-2');
    const first = await post(base, 'k', { type: 'seat', userId: 1, seat: 0 }, 'seat-1');
    assert.equal(first.status, 200);
    // User 2 takes seat 1; then user 1's seat message is resent: not applied again.
    await post(base, 'k', { type: 'seat', userId: 2, seat: 1 }, 'seat-2');
    const again = await post(base, 'k', { type: 'seat', userId: 1, seat: 0 }, 'seat-1');
    assert.deepEqual(again, first, 'the first reply, not a new one');
    for (let i = 0; i < 3; i++) {
      assert.equal(
        (await post(base, 'k', { type: 'chat', userId: 1, text: 'once' }, 'chat-1')).status,
        202,
      );
    }
    // The key may come in the body instead of the header.
    for (let i = 0; i < 2; i++) {
      const sent = await post(base, 'k', {
        type: 'chat',
        userId: 2,
        text: 'body key',
        idempotencyKey: 'chat-2',
      });
      assert.equal(sent.status, 202);
    }
    // A malformed key is refused before anything is applied.
    assert.equal((await post(base, 'k', { type: 'dice', userId: 1 }, 'bad key')).status, 400);
    let snapshot = await room(base, 'k');
    assert.deepEqual(
      snapshot.chat.map((c: Json) => c.text),
      ['once', 'body key'],
    );

    // After a restart the keys are still known: a late resend changes nothing.
    await app.close();
    app = await startApp(config);
    base = app.url.replace(/\/$/, '');
    assert.equal(
      (await post(base, 'k', { type: 'chat', userId: 1, text: 'once' }, 'chat-1')).status,
      202,
    );
    assert.deepEqual(await post(base, 'k', { type: 'seat', userId: 1, seat: 0 }, 'seat-1'), first);
    snapshot = await room(base, 'k');
    assert.deepEqual(
      snapshot.chat.map((c: Json) => c.text),
      ['once', 'body key'],
    );
    const keyed = (await app.service.store.entries('k')).filter((e) => e.key !== null);
    assert.equal(keyed.length, new Set(keyed.map((e) => e.key)).size, 'each key once in the log');
    await app.close();
  } finally {
    cleanup();
  }
});
