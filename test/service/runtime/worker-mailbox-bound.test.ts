import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoomBusyError, RoomWorker } from '../../../service/runtime/index.ts';

test('a full mailbox refuses with TIERCACHE_ROOM_BUSY and keeps what it queued', async () => {
  const worker = new RoomWorker('busy', { mailboxSize: 500 });
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const seen: number[] = [];
  worker.handleRequest('block', () => gate);
  worker.handleEvent('n', (n: number) => {
    seen.push(n);
  });
  const blocked = worker.request('block');
  // Let the worker take the blocking message out of the mailbox and start on it.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(worker.pending, 1);
  for (let i = 0; i < 500; i++) worker.post('n', i);
  assert.equal(worker.pending, 501);

  assert.throws(
    () => worker.post('n', 500),
    (error: unknown) =>
      error instanceof RoomBusyError &&
      error.code === 'TIERCACHE_ROOM_BUSY' &&
      error.rid === 'busy',
  );
  assert.throws(() => worker.request('block'), { code: 'TIERCACHE_ROOM_BUSY' });
  assert.equal(worker.pending, 501, 'a refused message is not queued');

  release();
  await blocked;
  await worker.stop();
  assert.deepEqual(
    seen,
    Array.from({ length: 500 }, (_, i) => i),
  );
});

test('the default mailbox holds 500 messages, as the story’s channel', () => {
  assert.equal(new RoomWorker('x').mailboxSize, 500);
  assert.throws(() => new RoomWorker('x', { mailboxSize: 0 }), {
    code: 'TIERCACHE_INVALID_OPTION',
  });
});
