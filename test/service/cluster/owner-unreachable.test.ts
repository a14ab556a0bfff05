import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Rendezvous } from '../../../service/cluster/index.ts';
import { freePort } from '../helpers/node-process.ts';
import { postJson, startTestApp } from '../helpers/test-app.ts';

let app: Awaited<ReturnType<typeof startTestApp>>;
let self: string;
// Port 1 on loopback: nothing listens there, so connecting is refused at once.
const dead = 'http://127.0.0.1:1';

before(async () => {
  const port = await freePort();
  self = `http://127.0.0.1:${port}`;
  app = await startTestApp({ port, nodes: [self, dead] });
});
after(() => app.close());

test('a room whose owner is down gets a 502 with TIERCACHE_NODE_UNREACHABLE; local rooms go on', async () => {
  const ring = new Rendezvous([self, dead]);
  const rids = Array.from({ length: 40 }, (_, i) => `r-${i}`);
  const remote = rids.find((rid) => ring.owner(rid) === dead)!;
  const local = rids.find((rid) => ring.owner(rid) === self)!;

  const refused = await postJson(`${app.base}/rooms/${remote}/messages`, {
    type: 'join',
    userId: 1,
  });
  assert.equal(refused.status, 502);
  assert.equal(refused.body.error.code, 'TIERCACHE_NODE_UNREACHABLE');
  assert.match(refused.body.error.message, /127\.0\.0\.1:1/);
  assert.equal(app.service.router.get(remote), undefined, 'the room was not run here instead');

  const served = await postJson(`${app.base}/rooms/${local}/messages`, { type: 'join', userId: 1 });
  assert.equal(served.status, 200);
  assert.equal(served.headers.get('x-room-node'), self);
});
