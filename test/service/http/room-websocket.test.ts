import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Json, postJson, startTestApp } from '../helpers/test-app.ts';
import { EventClient } from '../helpers/ws-events.ts';

let app: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

const send = (rid: string, body: unknown) => postJson(`${app.base}/rooms/${rid}/messages`, body);
const wsUrl = (rid: string) => `${app.base.replace('http', 'ws')}/rooms/${rid}/events`;

test('a watcher gets the snapshot, then every event of the room in order', async () => {
  const watcher = await EventClient.connect(wsUrl('party'));
  const snapshot = await watcher.next((e) => e.type === 'snapshot');
  assert.equal(snapshot.snapshot.rid, 'party');

  await send('party', { type: 'join', userId: 11 });
  await send('party', { type: 'chat', userId: 11, text: 'drop the beat' });
  await send('party', { type: 'dice', userId: 11 });
  await send('party', { type: 'seat', userId: 11, seat: 3 });

  const joined = await watcher.next((e) => e.type === 'joined');
  assert.equal(joined.user.id, 11);
  const chat = await watcher.next((e) => e.type === 'chat');
  assert.equal(chat.text, 'drop the beat');
  const dice = await watcher.next((e) => e.type === 'dice');
  assert.ok(dice.value >= 1 && dice.value <= 6);
  await watcher.next((e) => e.type === 'seated' && e.seat === 3);
  const types = watcher.events.map((e) => e.type);
  assert.deepEqual(types.slice(types.indexOf('joined')), ['joined', 'chat', 'dice', 'seated']);
  await watcher.close();
});

test('dry ice starts on a message and ends by the room worker’s timer', async () => {
  const watcher = await EventClient.connect(wsUrl('fog'));
  await send('fog', { type: 'join', userId: 12 });
  await send('fog', { type: 'dry-ice', userId: 12, durationMs: 200 });
  await watcher.next((e) => e.type === 'dry-ice' && e.durationMs === 200);
  assert.deepEqual(app.service.router.get('fog')?.timerNames(), ['dry-ice']);
  const room = await fetch(`${app.base}/rooms/fog`).then((r) => r.json() as Promise<Json>);
  assert.equal(room.dryIce.by, 12);
  await watcher.next((e) => e.type === 'dry-ice-ended');
  const later = await fetch(`${app.base}/rooms/fog`).then((r) => r.json() as Promise<Json>);
  assert.equal(later.dryIce, null);
  assert.deepEqual(app.service.router.get('fog')?.timerNames(), []);
  await watcher.close();
});

test('an open socket holds its room; closing it lets the room go idle', async () => {
  const watcher = await EventClient.connect(wsUrl('held'));
  await watcher.next((e) => e.type === 'snapshot');
  const worker = app.service.router.get('held');
  assert.equal(worker?.holds, 1);
  await watcher.close();
  const holds = () => worker?.holds;
  for (let i = 0; i < 50 && holds() !== 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(holds(), 0);
});

test('a socket on a path that is not a room is refused', async () => {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(`${app.base.replace('http', 'ws')}/elsewhere`);
  const error = await new Promise<Error>((resolve) => ws.on('error', resolve));
  assert.match(error.message, /404/);
});
