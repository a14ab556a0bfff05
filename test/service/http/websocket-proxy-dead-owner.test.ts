import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Rendezvous } from '../../../service/cluster/index.ts';
import { freePort, NodeProcess } from '../helpers/node-process.ts';
import { startTestApp } from '../helpers/test-app.ts';
import { EventClient } from '../helpers/ws-events.ts';

let dir: string;
let entry: Awaited<ReturnType<typeof startTestApp>>;
let owner: NodeProcess | undefined;
let ownerEnv: Record<string, string>;
let rid: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tiercache-dead-owner-'));
  const [entryPort, ownerPort] = [await freePort(), await freePort()];
  const urls = [`http://127.0.0.1:${entryPort}`, `http://127.0.0.1:${ownerPort}`];
  ownerEnv = {
    PORT: String(ownerPort),
    NODES: urls.join(','),
    DATA_PATH: join(dir, 'owner.sqlite'),
    SEED_USERS: '200',
    REDIS_URL: '',
  };
  owner = await NodeProcess.start(ownerEnv);
  entry = await startTestApp({ port: entryPort, nodes: urls, forwardTimeoutMs: 1_000 });
  const ring = new Rendezvous(urls);
  rid = Array.from({ length: 40 }, (_, i) => `watched-${i}`).find(
    (r) => ring.owner(r) === urls[1],
  )!;
});

after(async () => {
  if (owner !== undefined && owner.child.exitCode === null) {
    owner.child.kill('SIGCONT');
    await owner.stop();
  }
  await entry.close();
  rmSync(dir, { recursive: true, force: true });
});

async function watch(): Promise<EventClient> {
  const client = await EventClient.connect(
    `${entry.base.replace('http', 'ws')}/rooms/${rid}/events`,
  );
  await client.next((e) => e.type === 'snapshot', 15_000);
  return client;
}

test('a proxied watcher of a frozen owner is closed with 1014 once the owner stops answering pings', {
  timeout: 60_000,
}, async () => {
  const client = await watch();
  const closed = once(client.ws, 'close');
  owner!.child.kill('SIGSTOP');
  try {
    const [code, reason] = (await closed) as [number, Buffer];
    assert.equal(code, 1014);
    assert.match(reason.toString(), /stopped answering/);
  } finally {
    owner!.child.kill('SIGCONT');
  }
});

test('a proxied watcher of a killed owner is closed with 1014, and reconnecting to a live owner works', {
  timeout: 90_000,
}, async () => {
  const client = await watch();
  const closed = once(client.ws, 'close');
  const exited = once(owner!.child, 'exit');
  owner!.child.kill('SIGKILL');
  await exited;
  const [code] = (await closed) as [number, Buffer];
  assert.equal(code, 1014);
  owner = await NodeProcess.start(ownerEnv);
  const again = await watch();
  assert.equal(again.events[0].type, 'snapshot');
  await again.close();
});
