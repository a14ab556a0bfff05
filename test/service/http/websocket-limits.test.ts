import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { configFromEnv } from '../../../service/config.ts';
import { postJson, startTestApp } from '../helpers/test-app.ts';
import { EventClient } from '../helpers/ws-events.ts';

/** Opens a room socket that the node refuses; resolves with the status and error code. */
async function refused(url: string): Promise<{ status: number; code: string }> {
  const ws = new WebSocket(url);
  ws.on('error', () => {}); // terminating a socket that never opened reports an error
  const opened = once(ws, 'open').then(() => {
    ws.terminate();
    throw new Error(`the node accepted ${url}`);
  });
  const answered = once(ws, 'unexpected-response');
  const [, res] = (await Promise.race([answered, opened])) as [unknown, IncomingMessage];
  let text = '';
  for await (const chunk of res) text += chunk;
  ws.terminate();
  return { status: res.statusCode ?? 0, code: JSON.parse(text).error.code };
}

test('idle sockets cannot hold every room: the node caps them below MAX_ROOMS', async () => {
  // maxRooms 8: a quarter of it, 2 sockets, may be open; the other rooms stay for requests.
  const app = await startTestApp({ maxRooms: 8 });
  const ws = app.base.replace('http', 'ws');
  const clients = [
    await EventClient.connect(`${ws}/rooms/w-1/events`),
    await EventClient.connect(`${ws}/rooms/w-2/events`),
  ];
  try {
    assert.deepEqual(await refused(`${ws}/rooms/w-3/events`), {
      status: 503,
      code: 'TIERCACHE_TOO_MANY_SOCKETS',
    });
    assert.equal(app.service.router.get('w-3'), undefined, 'a refused socket creates no room');
    for (let i = 0; i < 6; i++) {
      const joined = await postJson(`${app.base}/rooms/r-${i}/messages`, {
        type: 'join',
        userId: 1,
      });
      assert.equal(joined.status, 200);
    }
    // A closed socket frees its place.
    await clients.pop()!.close();
    clients.push(await EventClient.connect(`${ws}/rooms/w-3/events`));
  } finally {
    for (const client of clients) await client.close();
    await app.close();
  }
});

test('one address cannot take every socket: MAX_SOCKETS_PER_ADDRESS', async () => {
  const app = await startTestApp({ maxRooms: 100, maxSocketsPerAddress: 2 });
  const ws = app.base.replace('http', 'ws');
  const clients = [
    await EventClient.connect(`${ws}/rooms/a-1/events`),
    await EventClient.connect(`${ws}/rooms/a-1/events`),
  ];
  try {
    assert.deepEqual(await refused(`${ws}/rooms/a-2/events`), {
      status: 503,
      code: 'TIERCACHE_TOO_MANY_SOCKETS',
    });
  } finally {
    for (const client of clients) await client.close();
    await app.close();
  }
});

test('MAX_SOCKETS must stay below MAX_ROOMS', () => {
  assert.throws(() => configFromEnv({ MAX_ROOMS: '10', MAX_SOCKETS: '10' }), {
    code: 'TIERCACHE_INVALID_OPTION',
  });
  assert.equal(configFromEnv({ MAX_ROOMS: '10', MAX_SOCKETS: '3' }).maxSockets, 3);
});
