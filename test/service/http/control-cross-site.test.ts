import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { startTestApp } from '../helpers/test-app.ts';

let app: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

/** Sends a raw request (fetch cannot set Host) and resolves with the status and body. */
function raw(request: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk;
    });
    socket.on('error', reject);
    socket.on('end', () => {
      resolve({
        status: Number(text.split(' ')[1]),
        body: text.slice(text.indexOf('\r\n\r\n') + 4),
      });
    });
    socket.write(request);
  });
}

const post = (path: string, headers: Record<string, string>, body = '') =>
  raw(
    `POST ${path} HTTP/1.1\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );

test('a DNS-rebound page (foreign Host and Origin) cannot switch the mode', async () => {
  const res = await post(
    '/api/mode',
    {
      host: 'rebound.attacker.example',
      origin: 'http://rebound.attacker.example',
      'content-type': 'application/json',
    },
    '{"mode":"per-room"}',
  );
  assert.equal(res.status, 403);
  assert.equal(JSON.parse(res.body).error.code, 'TIERCACHE_FORBIDDEN');
  assert.equal(app.service.modes.mode, 'shared');
});

test('a cross-site form post (text/plain, foreign Origin) cannot run a GC', async () => {
  const { host } = new URL(app.url);
  const foreign = await post('/api/gc', {
    host,
    origin: 'http://evil.example',
    'content-type': 'text/plain',
  });
  assert.equal(foreign.status, 403);
  // Even without an Origin, every POST /api/* must be declared JSON.
  const plain = await post('/api/gc', { host, 'content-type': 'text/plain' });
  assert.equal(plain.status, 415);
  assert.equal(JSON.parse(plain.body).error.code, 'TIERCACHE_INVALID_ARGUMENT');
  const own = await post(
    '/api/gc',
    { host, origin: `http://${host}`, 'content-type': 'application/json' },
    '{}',
  );
  assert.equal(own.status, 200);
});
