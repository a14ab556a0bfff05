import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Rendezvous } from '../../../service/cluster/index.ts';
import { freePort } from '../helpers/node-process.ts';
import { startTestApp } from '../helpers/test-app.ts';

type TestApp = Awaited<ReturnType<typeof startTestApp>>;

// An owner that accepts every connection and request but never answers.
let hung: Server;
let hungUrl: string;
const received: IncomingMessage[] = [];

before(async () => {
  hung = createServer((req) => received.push(req));
  hung.listen(0, '127.0.0.1');
  await once(hung, 'listening');
  hungUrl = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
});
after(() => {
  hung.closeAllConnections();
  hung.close();
});

async function nodeBeside(forwardTimeoutMs: number): Promise<{ app: TestApp; remote: string }> {
  const port = await freePort();
  const self = `http://127.0.0.1:${port}`;
  const app = await startTestApp({ port, nodes: [self, hungUrl], forwardTimeoutMs });
  const ring = new Rendezvous([self, hungUrl]);
  const rids = Array.from({ length: 60 }, (_, i) => `hung-${i}`);
  return { app, remote: rids.find((r) => ring.owner(r) === hungUrl)! };
}

/** Rejects when `promise` has not settled after `ms`: a bound on a wait, not a speed check. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

test('a forward to an owner that never answers ends in 502 TIERCACHE_NODE_UNREACHABLE', async () => {
  const { app, remote } = await nodeBeside(300);
  try {
    const res = await fetch(`${app.base}/rooms/${remote}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'join', userId: 1 }),
      // Far above FORWARD_TIMEOUT_MS: fires only if the node never answers at all.
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 502);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'TIERCACHE_NODE_UNREACHABLE');
    assert.match(body.error.message, /FORWARD_TIMEOUT_MS/);
    assert.equal(app.service.router.get(remote), undefined, 'the room was not run here instead');
  } finally {
    await app.close();
  }
});

test('a client that goes away takes the forwarded request to the owner with it', async () => {
  // A forward timeout of a minute: only the client leaving can end the upstream request here.
  const { app, remote } = await nodeBeside(60_000);
  try {
    const seen = received.length;
    const controller = new AbortController();
    const pending = fetch(`${app.base}/rooms/${remote}`, { signal: controller.signal });
    while (received.length === seen) await new Promise((r) => setTimeout(r, 10));
    const upstream = received.at(-1)!;
    const closed = once(upstream.socket, 'close');
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    await within(closed, 5_000, 'the upstream connection closing');
  } finally {
    await app.close();
  }
});
