import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoomWorker } from '../../../service/runtime/index.ts';

test('messages are handled one at a time, in arrival order, across kinds', async () => {
  const worker = new RoomWorker('r1');
  const log: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const step = async (label: string) => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    // Yield several times so a second handler would overlap if the worker allowed it.
    for (let i = 0; i < 3; i++) await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    log.push(label);
    running--;
  };
  worker.handleRequest('req', async (n: number) => {
    await step(`req${n}`);
    return n * 10;
  });
  worker.handleEvent('evt', (n: number) => step(`evt${n}`));
  worker.handleCommand('cmd', async (n: number) => {
    await step(`cmd${n}`);
    return `ok${n}`;
  });

  const replies: Promise<unknown>[] = [];
  for (let i = 0; i < 20; i++) {
    if (i % 3 === 0) replies.push(worker.request('req', i));
    else if (i % 3 === 1) worker.post('evt', i);
    else replies.push(worker.command('cmd', i));
  }
  const results = await Promise.all(replies);
  await worker.stop();

  const expected = Array.from({ length: 20 }, (_, i) =>
    i % 3 === 0 ? `req${i}` : i % 3 === 1 ? `evt${i}` : `cmd${i}`,
  );
  assert.deepEqual(log, expected);
  assert.equal(maxRunning, 1);
  assert.deepEqual(
    results,
    expected
      .filter((l) => !l.startsWith('evt'))
      .map((l) => (l.startsWith('req') ? Number(l.slice(3)) * 10 : `ok${l.slice(3)}`)),
  );
  assert.equal(worker.handled, 20);
});

test('rooms run concurrently: a slow room does not hold up another', async () => {
  const slow = new RoomWorker('slow');
  const fast = new RoomWorker('fast');
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  slow.handleRequest('wait', () => gate);
  fast.handleRequest('ping', () => 'pong');
  const waiting = slow.request('wait');
  assert.equal(await fast.request('ping'), 'pong');
  assert.equal(slow.pending, 1);
  release();
  await waiting;
  await Promise.all([slow.stop(), fast.stop()]);
});

test('a failing request rejects its sender and the room goes on', async () => {
  const worker = new RoomWorker('r2');
  const errors: unknown[] = [];
  const w2 = new RoomWorker('r3', { onError: (e) => errors.push(e) });
  worker.handleRequest('boom', () => {
    throw new Error('boom');
  });
  worker.handleRequest('ok', () => 'fine');
  await assert.rejects(worker.request('boom'), /boom/);
  assert.equal(await worker.request('ok'), 'fine');
  w2.handleEvent('bad', () => {
    throw new Error('event failed');
  });
  w2.handleRequest('ok', () => 1);
  w2.post('bad');
  assert.equal(await w2.request('ok'), 1);
  assert.equal(errors.length, 1);
  await Promise.all([worker.stop(), w2.stop()]);
});

test('unknown message types are refused at once with TIERCACHE_INVALID_ARGUMENT', async () => {
  const worker = new RoomWorker('r4');
  assert.throws(() => worker.post('nope'), { code: 'TIERCACHE_INVALID_ARGUMENT' });
  assert.throws(() => worker.request('nope'), { code: 'TIERCACHE_INVALID_ARGUMENT' });
  assert.throws(() => worker.command('nope'), { code: 'TIERCACHE_INVALID_ARGUMENT' });
  assert.equal(worker.pending, 0);
  await worker.stop();
});
