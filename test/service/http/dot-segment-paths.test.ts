import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { startTestApp } from '../helpers/test-app.ts';
import { rawRequest } from './raw-request.ts';

let app: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

// URL parsing resolves these (`/rooms/..` is `/`, the dashboard): they must be refused first.
const paths = [
  '/rooms/..',
  '/rooms/.',
  '/rooms/%2e%2e',
  '/rooms/%2E',
  '/rooms/.%2e/stats',
  '/rooms/../api/state',
  '/rooms/..%5capi',
  '/rooms\\..',
];

test('room ids "." and ".." (plain or percent-encoded) get a 400 with a TIERCACHE_ code', async () => {
  for (const path of paths) {
    for (const method of ['GET', 'POST']) {
      const res = await rawRequest(app.base, path, { 'content-type': 'application/json' }, method);
      assert.equal(res.status, 400, `${method} ${path}`);
      assert.equal(JSON.parse(res.text).error.code, 'TIERCACHE_INVALID_ARGUMENT', path);
    }
  }
  assert.deepEqual(app.service.router.rids(), [], 'no room was started');
});

test('the same on a room WebSocket path (sent raw: a WebSocket client would resolve it itself)', async () => {
  const { port } = new URL(app.base);
  for (const rid of ['..', '.', '%2e%2e']) {
    const socket = connect({ port: Number(port), host: '127.0.0.1' });
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    socket.end(
      `GET /rooms/${rid}/events HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: upgrade\r\n` +
        'upgrade: websocket\r\nsec-websocket-version: 13\r\n' +
        'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    await once(socket, 'close');
    assert.match(text, /^HTTP\/1\.1 400 /, rid);
    assert.match(text, /"code":"TIERCACHE_INVALID_ARGUMENT"/, rid);
  }
  assert.deepEqual(app.service.router.rids(), [], 'no room was started');
});
