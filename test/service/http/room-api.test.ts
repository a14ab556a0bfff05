import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { getJson, type Json, postJson, startTestApp } from '../helpers/test-app.ts';

let app: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

const send = (rid: string, body: unknown) => postJson(`${app.base}/rooms/${rid}/messages`, body);

test('join replies with the room, member profiles loaded from SQLite through the cache', async () => {
  const joined = await send('lobby', { type: 'join', userId: 7 });
  assert.equal(joined.status, 200);
  assert.equal(joined.headers.get('x-room-node'), app.base);
  assert.equal(joined.body.rid, 'lobby');
  assert.deepEqual(
    joined.body.members.map((m: { id: number }) => m.id),
    [7],
  );
  assert.match(joined.body.members[0].name, /7$/);
  assert.equal(joined.body.cacheMode, 'shared');
});

test('chat and dice are queued (202) and show in the room; seats are request/reply', async () => {
  await send('stage', { type: 'join', userId: 1 });
  await send('stage', { type: 'join', userId: 2 });
  assert.equal((await send('stage', { type: 'chat', userId: 1, text: 'hello' })).status, 202);
  assert.equal((await send('stage', { type: 'dice', userId: 2 })).status, 202);
  const seat = await send('stage', { type: 'seat', userId: 1, seat: 0 });
  assert.equal(seat.status, 200);
  assert.equal(seat.body.seats[0], 1);

  const taken = await send('stage', { type: 'seat', userId: 2, seat: 0 });
  assert.equal(taken.status, 400);
  assert.equal(taken.body.error.code, 'TIERCACHE_INVALID_ARGUMENT');
  assert.match(taken.body.error.message, /taken/);

  const room = await getJson(`${app.base}/rooms/stage`);
  assert.equal(room.status, 200);
  assert.deepEqual(
    room.body.chat.map((c: { text: string }) => c.text),
    ['hello'],
  );
  assert.equal(room.body.lastDice.userId, 2);
  assert.ok(room.body.lastDice.value >= 1 && room.body.lastDice.value <= 6);
  assert.deepEqual(room.body.seats.slice(0, 2), [1, null]);
  assert.equal(room.body.members.length, 2);
});

test('bad input gets a 400 with a TIERCACHE_ code and changes nothing', async () => {
  await send('strict', { type: 'join', userId: 3 });
  const before = await getJson(`${app.base}/rooms/strict`);
  const bad: unknown[] = [
    { type: 'chat', userId: 3, text: '' },
    { type: 'chat', userId: 3, text: 'x'.repeat(501) },
    { type: 'seat', userId: 3, seat: 99 },
    { type: 'join', userId: -1 },
    { type: 'join', userId: 3, extra: true },
    { type: 'launch-rocket', userId: 3 },
    [1, 2, 3],
    '{"type": "join", ',
  ];
  for (const body of bad) {
    const res = await send('strict', body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(res.body.error.code, 'TIERCACHE_INVALID_ARGUMENT');
  }
  const unknownUser = await send('strict', { type: 'join', userId: 999_999 });
  assert.equal(unknownUser.status, 400);
  assert.match(unknownUser.body.error.message, /No user with id 999999/);

  const badRid = await postJson(`${app.base}/rooms/${encodeURIComponent('no spaces!')}/messages`, {
    type: 'join',
    userId: 3,
  });
  assert.equal(badRid.status, 400);
  assert.equal(badRid.body.error.code, 'TIERCACHE_INVALID_ARGUMENT');

  const malformed = await postJson(`${app.base}/rooms/%E0%A4%A/messages`, {
    type: 'join',
    userId: 3,
  });
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.error.code, 'TIERCACHE_INVALID_ARGUMENT');

  const after = await getJson(`${app.base}/rooms/strict`);
  assert.deepEqual(after.body, before.body);
});

test('bodies are bounded and must be JSON', async () => {
  const huge = await fetch(`${app.base}/rooms/big/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'chat', userId: 1, text: 'y'.repeat(64 * 1024) }),
  });
  assert.equal(huge.status, 413);
  assert.equal(((await huge.json()) as Json).error.code, 'TIERCACHE_INVALID_ARGUMENT');

  const text = await fetch(`${app.base}/rooms/big/messages`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: 'join',
  });
  assert.equal(text.status, 415);
  assert.equal(app.service.router.get('big'), undefined, 'no room was created by refused input');
});

test('users, room stats, routes and the mounted diagnostics', async () => {
  const user = await getJson(`${app.base}/users/42`);
  assert.equal(user.status, 200);
  assert.equal(user.body.id, 42);
  assert.equal((await getJson(`${app.base}/users/100000`)).body.error.code, 'TIERCACHE_NOT_FOUND');
  assert.equal((await getJson(`${app.base}/users/abc`)).status, 400);

  await send('stats-room', { type: 'join', userId: 9 });
  const stats = await getJson(`${app.base}/rooms/stats-room/stats`);
  assert.equal(stats.body.members, 1);
  assert.equal((await getJson(`${app.base}/rooms/never-made/stats`)).status, 404);
  assert.equal((await getJson(`${app.base}/nowhere`)).body.error.code, 'TIERCACHE_NOT_FOUND');
  const wrongMethod = await fetch(`${app.base}/rooms/lobby/messages`);
  assert.equal(wrongMethod.status, 405);

  const rooms = await getJson(`${app.base}/rooms`);
  assert.ok(rooms.body.rooms.some((r: { rid: string }) => r.rid === 'stats-room'));

  const memstats = await getJson(`${app.base}/debug/memstats`);
  assert.equal(memstats.status, 200);
  assert.ok(memstats.body.stores.count >= 1, 'the shared store is accounted');
  const index = await fetch(`${app.base}/debug/pprof/`);
  assert.equal(index.status, 200);
  await index.arrayBuffer();
});
