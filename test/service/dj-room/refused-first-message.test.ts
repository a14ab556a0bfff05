import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { postJson, startTestApp } from '../helpers/test-app.ts';

let app: Awaited<ReturnType<typeof startTestApp>>;
// Bug mode: a new room builds its own eagerly allocated cache, the costliest room to leave behind.
before(async () => {
  app = await startTestApp({ cacheMode: 'per-room' });
});
after(() => app.close());

test('a join by an unknown user is a 400 that leaves no room and no cache behind', async () => {
  const res = await postJson(`${app.base}/rooms/ghost/messages`, { type: 'join', userId: 999_999 });
  assert.equal(res.status, 400);
  assert.equal(res.body.error.code, 'TIERCACHE_INVALID_ARGUMENT');
  await app.service.router.settled();
  assert.deepEqual(app.service.router.rids(), []);
  assert.equal(app.service.modes.stats().live, 0, 'the room released its own cache');
});

test('any refused first message leaves no room; a valid one still creates it', async () => {
  const seat = await postJson(`${app.base}/rooms/ghost-2/messages`, {
    type: 'seat',
    userId: 1,
    seat: 0,
  });
  assert.equal(seat.status, 400);
  await app.service.router.settled();
  assert.equal(app.service.router.get('ghost-2'), undefined);

  const join = await postJson(`${app.base}/rooms/ghost-2/messages`, { type: 'join', userId: 1 });
  assert.equal(join.status, 200);
  assert.ok(app.service.router.get('ghost-2'));
});

test('a refused request does not retire a room that already lived', async () => {
  await postJson(`${app.base}/rooms/lived/messages`, { type: 'join', userId: 1 });
  const bad = await postJson(`${app.base}/rooms/lived/messages`, { type: 'join', userId: 999_999 });
  assert.equal(bad.status, 400);
  await app.service.router.settled();
  assert.ok(app.service.router.get('lived'), 'the room with a member is still live');
});
