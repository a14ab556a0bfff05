import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { Rendezvous } from '../../../service/cluster/index.ts';
import { freePort } from '../helpers/node-process.ts';
import { startTestApp } from '../helpers/test-app.ts';

// A stand-in owner node: it either never answers the WebSocket handshake, or accepts it and
// records whatever reaches it.
let owner: Server;
let ownerUrl: string;
let answer = false;
const reachedOwner: string[] = [];
const ownerClosed: Array<Promise<unknown>> = [];
const ownerSide = new WebSocketServer({ noServer: true });
let app: Awaited<ReturnType<typeof startTestApp>>;
let remote: string;

before(async () => {
  owner = createServer();
  owner.on('upgrade', (req, socket, head) => {
    if (!answer) return; // accepted at TCP level, never answered
    ownerSide.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data) => reachedOwner.push(data.toString()));
      ownerClosed.push(once(ws, 'close'));
      ws.send(JSON.stringify({ type: 'snapshot' }));
    });
  });
  owner.listen(0, '127.0.0.1');
  await once(owner, 'listening');
  ownerUrl = `http://127.0.0.1:${(owner.address() as AddressInfo).port}`;
  const port = await freePort();
  const self = `http://127.0.0.1:${port}`;
  app = await startTestApp({ port, nodes: [self, ownerUrl], forwardTimeoutMs: 300 });
  const ring = new Rendezvous([self, ownerUrl]);
  remote = Array.from({ length: 60 }, (_, i) => `p-${i}`).find((r) => ring.owner(r) === ownerUrl)!;
});
after(async () => {
  await app.close();
  for (const ws of ownerSide.clients) ws.terminate();
  owner.closeAllConnections();
  owner.close();
});

test('a proxied socket whose owner never completes the handshake is closed with 1014', async () => {
  answer = false;
  const ws = new WebSocket(`${app.base.replace('http', 'ws')}/rooms/${remote}/events`);
  await once(ws, 'open');
  // Frames sent while the owner is silent are dropped, not queued on the node.
  for (let i = 0; i < 100; i++) ws.send('x'.repeat(4000));
  // Bounded: the 300 ms handshake timeout closes it; the 10 s guard only catches a hang.
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<[number]>((resolve) => {
    timer = setTimeout(() => resolve([-1]), 10_000);
  });
  const [code] = (await Promise.race([once(ws, 'close'), bound]).finally(() =>
    clearTimeout(timer),
  )) as [number];
  assert.equal(code, 1014);
});

test('watchers are read-only: what a client sends through the proxy never reaches the owner', async () => {
  answer = true;
  const ws = new WebSocket(`${app.base.replace('http', 'ws')}/rooms/${remote}/events`);
  const first = once(ws, 'message');
  await once(ws, 'open');
  for (let i = 0; i < 20; i++) ws.send(`hello ${i}`);
  // The owner's first event came back through the proxy, so the path works both ways…
  const [data] = (await first) as [Buffer];
  assert.equal(JSON.parse(data.toString()).type, 'snapshot');
  // …and once the owner's end has closed (after anything sent before it, TCP keeps the order),
  // none of the client's frames was passed on.
  ws.close();
  await once(ws, 'close');
  await Promise.all(ownerClosed);
  assert.equal(ownerClosed.length, 1);
  assert.deepEqual(reachedOwner, []);
});
