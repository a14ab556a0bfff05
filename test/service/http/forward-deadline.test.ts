import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { Rendezvous } from '../../../service/cluster/index.ts';
import { freePort } from '../helpers/node-process.ts';
import { startTestApp } from '../helpers/test-app.ts';

// An owner that accepts connections and reads requests but never answers: a frozen process
// (SIGSTOP) looks like this to its peers, since the kernel still completes the handshake.
const frozen = createServer({ pauseOnConnect: false });
const held = new Set<Socket>();
let requestsReceived = 0;
let app: Awaited<ReturnType<typeof startTestApp>>;
let owner: string;
let rids: string[];

before(async () => {
  frozen.on('connection', (socket) => {
    held.add(socket);
    socket.on('data', (chunk) => {
      requestsReceived += chunk.toString('latin1').split('GET /rooms/').length - 1;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => held.delete(socket));
  });
  frozen.listen(0, '127.0.0.1');
  await once(frozen, 'listening');
  owner = `http://127.0.0.1:${(frozen.address() as { port: number }).port}`;
  const port = await freePort();
  const self = `http://127.0.0.1:${port}`;
  app = await startTestApp({ port, nodes: [self, owner], forwardTimeoutMs: 3_000 });
  const ring = new Rendezvous([self, owner]);
  rids = [];
  for (let i = 0; rids.length < 240; i++) {
    if (ring.owner(`frozen-${i}`) === owner) rids.push(`frozen-${i}`);
  }
});

after(async () => {
  await app.close();
  for (const socket of held) socket.destroy();
  frozen.close();
});

test('240 concurrent forwards to a frozen owner all end in 502, and those queued behind it are never sent', async () => {
  const answers = await Promise.all(
    rids.map(async (rid) => {
      const res = await fetch(`${app.base}/rooms/${rid}`);
      return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
    }),
  );
  assert.equal(answers.filter((a) => a.status === 502).length, 240);
  assert.ok(answers.every((a) => a.body.error?.code === 'TIERCACHE_NODE_UNREACHABLE'));
  // The agent holds 64 sockets per owner. Before the deadline covered the queue, each request
  // waited for a socket and was sent in turn (all 240 reached the owner, four deadlines late);
  // now the first wave's timeout fails everything queued behind it, unsent.
  assert.ok(
    requestsReceived <= 128,
    `the frozen owner received ${requestsReceived} of 240 requests; queued ones must not be sent`,
  );
});
