import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { startTestApp } from '../helpers/test-app.ts';

let app: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

test('a client aborting mid-upload is not logged as a server failure', async (t) => {
  const logged = t.mock.method(console, 'error', () => {});
  const arrived = once(app.server, 'request') as Promise<[IncomingMessage]>;
  const socket = connect(Number(new URL(app.url).port), '127.0.0.1');
  socket.on('error', () => {});
  socket.write(
    'POST /rooms/abort/messages HTTP/1.1\r\nhost: 127.0.0.1\r\n' +
      'content-type: application/json\r\ncontent-length: 100\r\n\r\n{"type":',
  );
  const [req] = await arrived;
  // Not once(): the request also emits 'error' (aborted), which would reject it.
  const closed = new Promise((resolve) => req.on('close', resolve));
  socket.destroy();
  await closed;
  // Let the handler's rejection reach the error path (a few turns of the event loop).
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    logged.mock.calls.map((call) => String(call.arguments[0])),
    [],
    'nothing was logged',
  );
  assert.equal(app.service.router.get('abort'), undefined, 'no room was created');
});
