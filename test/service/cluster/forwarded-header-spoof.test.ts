import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { FORWARDED_HEADER, Rendezvous } from '../../../service/cluster/index.ts';
import { freePort } from '../helpers/node-process.ts';
import { startTestApp } from '../helpers/test-app.ts';

let app: Awaited<ReturnType<typeof startTestApp>>;
let self: string;
// The other node is down: a request for its rooms must never be handled here instead.
const other = 'http://127.0.0.1:1';
let remote: string;
let local: string;

before(async () => {
  const port = await freePort();
  self = `http://127.0.0.1:${port}`;
  app = await startTestApp({ port, nodes: [self, other] });
  const ring = new Rendezvous([self, other]);
  const rids = Array.from({ length: 40 }, (_, i) => `spoof-${i}`);
  remote = rids.find((rid) => ring.owner(rid) === other)!;
  local = rids.find((rid) => ring.owner(rid) === self)!;
});
after(() => app.close());

const spoofed = { 'content-type': 'application/json', [FORWARDED_HEADER]: 'http://127.0.0.1:9' };

test('a client claiming a forward for a room this node does not own gets 421 TIERCACHE_MISDIRECTED', async () => {
  const post = await fetch(`${app.base}/rooms/${remote}/messages`, {
    method: 'POST',
    headers: spoofed,
    body: JSON.stringify({ type: 'join', userId: 1 }),
  });
  assert.equal(post.status, 421);
  assert.equal(
    ((await post.json()) as { error: { code: string } }).error.code,
    'TIERCACHE_MISDIRECTED',
  );
  const get = await fetch(`${app.base}/rooms/${remote}`, { headers: spoofed });
  assert.equal(get.status, 421);
  await get.arrayBuffer();
  assert.equal(app.service.router.get(remote), undefined, 'the room was not run here');
});

test('the same header on a room WebSocket is refused before the upgrade', async () => {
  const ws = new WebSocket(`${app.base.replace('http', 'ws')}/rooms/${remote}/events`, {
    headers: { [FORWARDED_HEADER]: 'http://127.0.0.1:9' },
  });
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
  assert.equal(res.statusCode, 421);
  res.resume();
  ws.on('error', () => {}); // terminating a socket that never opened reports an error
  ws.terminate();
  assert.equal(app.service.router.get(remote), undefined, 'the room was not run here');
});

test('a forwarded request for a room this node owns is still handled here', async () => {
  const res = await fetch(`${app.base}/rooms/${local}/messages`, {
    method: 'POST',
    headers: spoofed,
    body: JSON.stringify({ type: 'join', userId: 1 }),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-room-node'), self);
  await res.arrayBuffer();
});
