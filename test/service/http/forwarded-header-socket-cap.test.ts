import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { FORWARDED_HEADER } from '../../../service/cluster/index.ts';
import { startTestApp } from '../helpers/test-app.ts';

let app: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  app = await startTestApp({ maxSocketsPerAddress: 4 });
});
after(() => app.close());

/** Opens a room socket; resolves with it once open, or with the refusal's status. */
async function open(
  rid: string,
  headers: Record<string, string> = {},
): Promise<WebSocket | number> {
  const ws = new WebSocket(`${app.base.replace('http', 'ws')}/rooms/${rid}/events`, { headers });
  ws.on('error', () => undefined);
  const [event, res] = await Promise.race([
    once(ws, 'open').then(() => ['open'] as const),
    once(ws, 'unexpected-response').then(([, r]) => ['refused', r as IncomingMessage] as const),
  ]);
  if (event === 'open') return ws;
  res!.resume();
  ws.terminate();
  return res!.statusCode ?? 0;
}

test('a client naming itself a node in x-room-forwarded-by does not escape the per-address socket cap', async () => {
  const held: WebSocket[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const ws = await open(`cap-${i}`);
      assert.ok(ws instanceof WebSocket, `socket ${i} opens`);
      held.push(ws);
    }
    assert.equal(await open('cap-4'), 503, 'the fifth is over MAX_SOCKETS_PER_ADDRESS');
    // Before, the header alone exempted a socket from the per-address count.
    for (const from of [app.base, 'http://127.0.0.1:9']) {
      const forged = await open('cap-5', { [FORWARDED_HEADER]: from });
      if (forged instanceof WebSocket) held.push(forged);
      assert.equal(forged, 403, `a forged header from ${from} is refused`);
    }
  } finally {
    for (const ws of held) ws.terminate();
  }
});
