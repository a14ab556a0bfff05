import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoomRouter, RoomWorker } from '../../../service/runtime/index.ts';

test('setup runs once before the first message; messages queued meanwhile wait for it', async () => {
  const order: string[] = [];
  let release!: () => void;
  const loaded = new Promise<void>((resolve) => {
    release = resolve;
  });
  const worker = new RoomWorker('s')
    .handleRequest('say', (x: string) => {
      order.push(x);
      return x;
    })
    .setup(async () => {
      order.push('setup');
      await loaded;
      order.push('loaded');
    });
  const replies = [worker.request('say', 'one'), worker.request('say', 'two')];
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, ['setup'], 'nothing handled before the setup is done');
  release();
  assert.deepEqual(await Promise.all(replies), ['one', 'two']);
  await worker.request('say', 'three');
  assert.deepEqual(order, ['setup', 'loaded', 'one', 'two', 'three']);
  await worker.whenIdle();
  assert.equal(worker.handled, 3, 'the setup is not a message');
  await worker.stop();
});

test('a failed setup rejects every message with its error and handles none', async () => {
  let handled = 0;
  const worker = new RoomWorker('f')
    .handleRequest('say', () => {
      handled++;
    })
    .setup(async () => {
      throw Object.assign(new Error('lease held elsewhere'), { code: 'TIERCACHE_ROOM_STOPPED' });
    });
  const results = await Promise.allSettled([worker.request('say', 1), worker.request('say', 2)]);
  assert.deepEqual(
    results.map((r) => r.status === 'rejected' && (r.reason as Error).message),
    ['lease held elsewhere', 'lease held elsewhere'],
  );
  await assert.rejects(worker.request('say', 3), /lease held elsewhere/);
  assert.equal(handled, 0);
  await worker.stop();
});

test('drop: gracefully drains, or rejects the queue; the next message builds a fresh room', async () => {
  const stopped: string[] = [];
  let gate!: () => void;
  const router = new RoomRouter({
    createRoom: (rid) =>
      new RoomWorker(rid)
        .handleRequest('echo', (x: unknown) => x)
        .handleRequest(
          'hold',
          () =>
            new Promise<void>((resolve) => {
              gate = resolve;
            }),
        ),
    onRoomStopped: (rid, reason) => stopped.push(`${rid}:${reason}`),
  });
  await router.request('g', 'echo', 1);
  const first = router.get('g');
  // Graceful: what is queued is still handled.
  const queued = router.request('g', 'echo', 'queued');
  await router.drop('g');
  assert.equal(await queued, 'queued');
  assert.equal(router.get('g'), undefined);

  // Lease lost: what is queued is refused with TIERCACHE_ROOM_STOPPED (the senders resend).
  const holding = router.request('l', 'hold');
  const refused = router.request('l', 'echo', 'late');
  await new Promise((resolve) => setImmediate(resolve));
  const dropped = router.drop('l', { drain: false });
  gate();
  await holding;
  await assert.rejects(refused, { code: 'TIERCACHE_ROOM_STOPPED' });
  await dropped;

  // Only the given worker is dropped, never a newer one of the same rid.
  await router.request('g', 'echo', 2);
  const second = router.get('g');
  assert.notEqual(second, first);
  await router.drop('g', { worker: first! });
  assert.equal(router.get('g'), second);
  await router.settled();
  assert.deepEqual(stopped, ['g:moved', 'l:moved']);
  await router.close();
});
