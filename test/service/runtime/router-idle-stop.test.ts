import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoomRouter, RoomWorker } from '../../../service/runtime/index.ts';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function collectGarbage(until: () => boolean): Promise<void> {
  for (let i = 0; i < 20 && !until(); i++) {
    globalThis.gc?.();
    await tick(10);
  }
}

function chatRoom(rid: string, now: () => number = Date.now): RoomWorker {
  // Room state the size of a real room's, so a leak would be visible, not just a WeakRef.
  const state = { rid, log: [] as string[], blob: new Uint8Array(64 * 1024) };
  const worker = new RoomWorker(rid, { now });
  worker.handleRequest('say', (text: string) => {
    state.log.push(text);
    worker.setTimer('fade', 60_000, () => {
      state.log.length = 0;
    });
    return state.log.length;
  });
  return worker;
}

test('the router creates a room on its first message and routes by rid', async () => {
  const router = new RoomRouter({ createRoom: chatRoom, idleMs: 60_000 });
  assert.equal(await router.request('a', 'say', 'hi'), 1);
  assert.equal(await router.request('a', 'say', 'again'), 2);
  assert.equal(await router.request('b', 'say', 'hi'), 1);
  assert.deepEqual(router.rids().sort(), ['a', 'b']);
  assert.equal(router.get('a'), router.get('a'));
  await router.close();
});

test('an idle room is stopped, its timers cleared, and it becomes garbage', async (t) => {
  if (typeof globalThis.gc !== 'function') return t.skip('needs --expose-gc');
  let now = 0;
  const clock = () => now;
  const stopped: string[] = [];
  const collected: string[] = [];
  const registry = new FinalizationRegistry<string>((rid) => collected.push(rid));
  let ref: WeakRef<RoomWorker> | undefined;
  const router = new RoomRouter({
    createRoom: (rid) => {
      const worker = chatRoom(rid, clock);
      registry.register(worker, rid);
      ref = new WeakRef(worker);
      return worker;
    },
    idleMs: 1000,
    sweepIntervalMs: 60_000,
    now: clock,
    onRoomStopped: (rid, reason) => stopped.push(`${rid}:${reason}`),
  });
  await router.request('room-1', 'say', 'hello');
  await router.get('room-1')?.whenIdle();
  assert.deepEqual(ref?.deref()?.timerNames(), ['fade']);

  now = 999;
  assert.equal(router.sweep(), 0, 'not idle yet');
  now = 5000;
  assert.equal(router.sweep(), 1);
  await router.settled();
  assert.deepEqual(stopped, ['room-1:idle']);
  assert.equal(router.size, 0);

  await collectGarbage(() => collected.length > 0);
  assert.deepEqual(collected, ['room-1'], 'the stopped worker was garbage-collected');
  assert.equal(ref?.deref(), undefined);

  // The next message for the rid builds a fresh room.
  assert.equal(await router.request('room-1', 'say', 'back'), 1);
  await router.close();
});

test('a room that is busy or held is not idle', async () => {
  let now = 0;
  const clock = () => now;
  const router = new RoomRouter({
    createRoom: (rid) => chatRoom(rid, clock),
    idleMs: 10,
    now: clock,
  });
  await router.request('held', 'say', 'x');
  await router.get('held')?.whenIdle();
  router.get('held')?.retain();
  now = 1000;
  assert.equal(router.sweep(), 0);
  router.get('held')?.release();
  now = 2000;
  assert.equal(router.sweep(), 1);
  await router.close();
});

test('the idle sweep runs on its own timer', async () => {
  const router = new RoomRouter({ createRoom: chatRoom, idleMs: 20, sweepIntervalMs: 10 });
  await router.request('auto', 'say', 'x');
  for (let i = 0; i < 100 && router.size > 0; i++) await tick(10);
  assert.equal(router.size, 0);
  assert.equal(router.stats().stopped, 1);
  await router.close();
});
