import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import {
  FORWARD_SIGNATURE_HEADER,
  signForward,
} from '../../../service/cluster/forward-signature.ts';
import { FORWARDED_HEADER, Rendezvous } from '../../../service/cluster/index.ts';
import { freePort } from '../helpers/node-process.ts';
import { startTestApp } from '../helpers/test-app.ts';

const secret = 'spoof-test-cluster-secret-0123';
let app: Awaited<ReturnType<typeof startTestApp>>;
let self: string;
// The other node is down: a request for its rooms must never be handled here instead.
const other = 'http://127.0.0.1:1';
let remote: string;
let local: string;

before(async () => {
  const port = await freePort();
  self = `http://127.0.0.1:${port}`;
  app = await startTestApp({ port, nodes: [self, other], clusterSecret: secret });
  const ring = new Rendezvous([self, other]);
  const rids = Array.from({ length: 40 }, (_, i) => `spoof-${i}`);
  remote = rids.find((rid) => ring.owner(rid) === other)!;
  local = rids.find((rid) => ring.owner(rid) === self)!;
});
after(() => app.close());

/** Headers of a request the peer `other` forwarded, signed with `key`. */
function signed(method: string, path: string, key = secret): Record<string, string> {
  return {
    'content-type': 'application/json',
    [FORWARDED_HEADER]: other,
    [FORWARD_SIGNATURE_HEADER]: signForward(key, other, method, path),
  };
}

const join = JSON.stringify({ type: 'join', userId: 1 });

test('a client sending the forwarding header unsigned, or signed with another secret, gets 403 TIERCACHE_FORBIDDEN', async () => {
  for (const headers of [
    { 'content-type': 'application/json', [FORWARDED_HEADER]: other },
    { 'content-type': 'application/json', [FORWARDED_HEADER]: 'http://127.0.0.1:9' },
    signed('POST', `/rooms/${local}/messages`, 'another-secret-of-16-chars'),
    // Signed for another path: a captured signature cannot be replayed on another request.
    signed('POST', `/rooms/${remote}/messages`),
  ]) {
    const post = await fetch(`${app.base}/rooms/${local}/messages`, {
      method: 'POST',
      headers,
      body: join,
    });
    assert.equal(post.status, 403);
    assert.equal(
      ((await post.json()) as { error: { code: string } }).error.code,
      'TIERCACHE_FORBIDDEN',
    );
  }
  assert.equal(app.service.router.get(local), undefined, 'nothing was applied');
});

test('a signed forward for a room this node does not own gets 421 TIERCACHE_MISDIRECTED', async () => {
  const path = `/rooms/${remote}/messages`;
  const post = await fetch(`${app.base}${path}`, {
    method: 'POST',
    headers: signed('POST', path),
    body: join,
  });
  assert.equal(post.status, 421);
  assert.equal(
    ((await post.json()) as { error: { code: string } }).error.code,
    'TIERCACHE_MISDIRECTED',
  );
  assert.equal(app.service.router.get(remote), undefined, 'the room was not run here');
});

test('a forged header on a room WebSocket is refused before the upgrade', async () => {
  const ws = new WebSocket(`${app.base.replace('http', 'ws')}/rooms/${remote}/events`, {
    headers: { [FORWARDED_HEADER]: other },
  });
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
  assert.equal(res.statusCode, 403);
  res.resume();
  ws.on('error', () => {}); // terminating a socket that never opened reports an error
  ws.terminate();
  assert.equal(app.service.router.get(remote), undefined, 'the room was not run here');
});

test('a signed forward for a room this node owns is handled here', async () => {
  const path = `/rooms/${local}/messages`;
  const res = await fetch(`${app.base}${path}`, {
    method: 'POST',
    headers: signed('POST', path),
    body: join,
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-room-node'), self);
  await res.arrayBuffer();
});
