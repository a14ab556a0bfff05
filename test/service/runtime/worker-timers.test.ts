import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoomWorker } from '../../../service/runtime/index.ts';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a named timer fires through the mailbox, once', async () => {
  const worker = new RoomWorker('t1');
  const fired: string[] = [];
  worker.setTimer('a', 5, () => {
    fired.push('a');
  });
  assert.deepEqual(worker.timerNames(), ['a']);
  await tick(40);
  assert.deepEqual(fired, ['a']);
  assert.equal(worker.hasTimer('a'), false);
  await worker.stop();
});

test('setting a timer again replaces it; clearing disarms it', async () => {
  const worker = new RoomWorker('t2');
  const fired: string[] = [];
  worker.setTimer('x', 5, () => {
    fired.push('first');
  });
  worker.setTimer('x', 10, () => {
    fired.push('second');
  });
  worker.setTimer('y', 5, () => {
    fired.push('y');
  });
  assert.equal(worker.clearTimer('y'), true);
  assert.equal(worker.clearTimer('y'), false);
  await tick(50);
  assert.deepEqual(fired, ['second']);
  await worker.stop();
});

test('a timer firing waits for the running handler', async () => {
  const worker = new RoomWorker('t3');
  const log: string[] = [];
  let release!: () => void;
  worker.handleRequest('slow', async () => {
    log.push('slow:start');
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    log.push('slow:end');
  });
  const slow = worker.request('slow');
  worker.setTimer('t', 1, () => {
    log.push('timer');
  });
  await tick(20);
  assert.deepEqual(log, ['slow:start']);
  release();
  await slow;
  await tick(5);
  assert.deepEqual(log, ['slow:start', 'slow:end', 'timer']);
  await worker.stop();
});

test('stopping clears every timer, even one whose firing is already queued', async () => {
  const worker = new RoomWorker('t4');
  const fired: string[] = [];
  let release!: () => void;
  worker.handleRequest('block', () => new Promise<void>((resolve) => (release = resolve)));
  const blocked = worker.request('block');
  worker.setTimer('queued', 1, () => {
    fired.push('queued');
  });
  for (let i = 0; i < 5; i++) {
    worker.setTimer(`later${i}`, 30, () => {
      fired.push(`later${i}`);
    });
  }
  await tick(10); // 'queued' has fired into the mailbox behind the blocking request
  const stopped = worker.stop();
  assert.deepEqual(worker.timerNames(), []);
  release();
  await Promise.all([blocked, stopped]);
  await tick(60);
  assert.deepEqual(fired, []);
  assert.equal(worker.state, 'stopped');
  assert.throws(() => worker.setTimer('z', 1, () => {}), { code: 'TIERCACHE_ROOM_STOPPED' });
});

test('a stopped worker refuses messages with TIERCACHE_ROOM_STOPPED and runs its stop hooks once', async () => {
  const worker = new RoomWorker('t5');
  let hooks = 0;
  worker.handleEvent('e', () => {});
  worker.onStop(() => {
    hooks++;
  });
  await worker.stop();
  await worker.stop();
  assert.equal(hooks, 1);
  assert.throws(() => worker.post('e'), { code: 'TIERCACHE_ROOM_STOPPED' });
});
