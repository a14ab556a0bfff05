import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { startTestApp } from '../helpers/test-app.ts';

let app: Awaited<ReturnType<typeof startTestApp>>;
let port: number;
before(async () => {
  app = await startTestApp();
  port = Number(new URL(app.base).port);
});
after(() => app.close());

/** Writes `raw` on a new connection and reads everything the server answers until it closes. */
async function exchange(raw: string): Promise<{ status: number; body: string }> {
  const socket = connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  socket.end(raw);
  await once(socket, 'close');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  return { status, body: text.slice(text.indexOf('\r\n\r\n') + 4) };
}

test('oversized headers get a 431 with a JSON body and a TIERCACHE_ code', async () => {
  const { status, body } = await exchange(
    `GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
  );
  assert.equal(status, 431);
  assert.equal(JSON.parse(body).error.code, 'TIERCACHE_HEADERS_TOO_LARGE');
});

test('a malformed request gets a 400 with a JSON body and a TIERCACHE_ code', async () => {
  const { status, body } = await exchange('NOT HTTP AT ALL\r\n\r\n');
  assert.equal(status, 400);
  assert.equal(JSON.parse(body).error.code, 'TIERCACHE_BAD_REQUEST');
});

test('an upgrade to an unknown path gets a 404 with a JSON body and a TIERCACHE_ code', async () => {
  const { status, body } = await exchange(
    'GET /nowhere HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: upgrade\r\nupgrade: websocket\r\n' +
      'sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  assert.equal(status, 404);
  assert.equal(JSON.parse(body).error.code, 'TIERCACHE_NOT_FOUND');
});
