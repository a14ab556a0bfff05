import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoomRouter, RoomWorker } from '../../../service/runtime/index.ts';

function echoRoom(rid: string, now: () => number = Date.now): RoomWorker {
  return new RoomWorker(rid, { now }).handleRequest('echo', (x: unknown) => x);
}

test('at maxRooms the longest-idle room is stopped to make room', async () => {
  let now = 0;
  const stopped: string[] = [];
  const router = new RoomRouter({
    createRoom: (rid) => echoRoom(rid, () => now),
    maxRooms: 3,
    now: () => now,
    onRoomStopped: (rid, reason) => stopped.push(`${rid}:${reason}`),
  });
  for (const rid of ['a', 'b', 'c']) {
    now++;
    await router.request(rid, 'echo', rid);
  }
  now++;
  await router.request('a', 'echo', 'a again');
  now++;
  await router.request('d', 'echo', 'd');
  await router.settled();
  assert.deepEqual(stopped, ['b:evicted']);
  assert.deepEqual(router.rids().sort(), ['a', 'c', 'd']);
  await router.close();
});

test('at maxRooms with every room busy, a new room is refused with TIERCACHE_ROOM_LIMIT', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const router = new RoomRouter({
    createRoom: (rid) => new RoomWorker(rid).handleRequest('wait', () => gate),
    maxRooms: 2,
  });
  const waits = [router.request('a', 'wait'), router.request('b', 'wait')];
  assert.throws(() => router.worker('c'), { code: 'TIERCACHE_ROOM_LIMIT' });
  assert.equal(router.size, 2);
  release();
  await Promise.all(waits);
  await router.close();
});

test('close() drains every mailbox before stopping, then refuses new rooms', async () => {
  const handled: string[] = [];
  const router = new RoomRouter({
    createRoom: (rid) =>
      new RoomWorker(rid).handleEvent('note', async (n: number) => {
        await new Promise((resolve) => setImmediate(resolve));
        handled.push(`${rid}:${n}`);
      }),
  });
  for (let i = 0; i < 50; i++) router.post(`room-${i % 5}`, 'note', i);
  await router.close();
  assert.equal(handled.length, 50);
  assert.equal(router.size, 0);
  assert.throws(() => router.post('room-0', 'note', 1), { code: 'TIERCACHE_ROOM_STOPPED' });
});

test('bad router options fail at construction', () => {
  assert.throws(() => new RoomRouter({ createRoom: echoRoom, idleMs: 0 }), {
    code: 'TIERCACHE_INVALID_OPTION',
  });
  assert.throws(() => new RoomRouter({ createRoom: echoRoom, maxRooms: 1.5 }), {
    code: 'TIERCACHE_INVALID_OPTION',
  });
});

test('broadcast sends a command to every live room and reports each outcome', async () => {
  const router = new RoomRouter({
    createRoom: (rid) =>
      new RoomWorker(rid).handleRequest('echo', (x: unknown) => x).handleCommand('who', () => rid),
  });
  for (const rid of ['a', 'b', 'c']) await router.request(rid, 'echo', rid);
  const results = await router.broadcast<string>('who');
  assert.deepEqual(
    results.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected')),
    ['a', 'b', 'c'],
  );
  const unknown = await router.broadcast('nope');
  assert.ok(unknown.every((r) => r.status === 'rejected'));
  await router.close();
});
