import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Rendezvous } from '../../../service/cluster/index.ts';
import { freePort, NodeProcess } from '../helpers/node-process.ts';
import { getJson, postJson } from '../helpers/test-app.ts';
import { EventClient } from '../helpers/ws-events.ts';

let nodes: NodeProcess[] = [];
let ring: Rendezvous;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tiercache-two-nodes-'));
  const ports = [await freePort(), await freePort()];
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  ring = new Rendezvous(urls);
  nodes = await Promise.all(
    ports.map((port, i) =>
      NodeProcess.start({
        PORT: String(port),
        NODES: urls.join(','),
        DATA_PATH: join(dir, `node-${i}.sqlite`),
        SEED_USERS: '200',
        REDIS_URL: '',
      }),
    ),
  );
});

after(async () => {
  const codes = await Promise.all(nodes.map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(codes, [0, 0], 'both nodes shut down gracefully');
});

test('messages for a rid are always handled by its owner, whichever node they reach', async () => {
  const rids = Array.from({ length: 24 }, (_, i) => `room-${i}`);
  const owners = new Set(rids.map((rid) => ring.owner(rid)));
  assert.equal(owners.size, 2, 'the rids spread over both nodes');
  for (const rid of rids) {
    for (const [i, node] of nodes.entries()) {
      const res = await postJson(`${node.url}/rooms/${rid}/messages`, {
        type: 'join',
        userId: 1 + i,
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-room-node'), ring.owner(rid), `${rid} via node ${i}`);
    }
    // Both joins reached the same room worker: it has both members.
    const room = await getJson(`${nodes[1]!.url}/rooms/${rid}`);
    assert.deepEqual(room.body.members.map((m: { id: number }) => m.id).sort(), [1, 2]);
  }
  for (const node of nodes) {
    const { body } = await getJson(`${node.url}/rooms`);
    const local = body.rooms.map((r: { rid: string }) => r.rid).sort();
    const expected = rids.filter((rid) => ring.owner(rid) === node.url).sort();
    assert.deepEqual(local, expected, `${node.url} runs exactly the rooms it owns`);
  }
});

test('a room’s WebSocket opened on the other node is proxied to the owner', async () => {
  const rid = Array.from({ length: 50 }, (_, i) => `ws-${i}`).find(
    (r) => ring.owner(r) === nodes[0]!.url,
  )!;
  const watcher = await EventClient.connect(
    `${nodes[1]!.url.replace('http', 'ws')}/rooms/${rid}/events`,
  );
  await watcher.next((e) => e.type === 'snapshot');
  await postJson(`${nodes[1]!.url}/rooms/${rid}/messages`, { type: 'join', userId: 5 });
  await postJson(`${nodes[0]!.url}/rooms/${rid}/messages`, { type: 'chat', userId: 5, text: 'hi' });
  const chat = await watcher.next((e) => e.type === 'chat');
  assert.equal(chat.text, 'hi');
  await watcher.close();
});
