import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { DebugServer } from 'tiercache/diagnostics';
import { startTestServer } from './helpers.ts';

const TOKEN = 'forwarded-headers-token-0123456789';
let open: DebugServer;
let guarded: DebugServer;
let proxy: Server;
let proxyUrl: string;

before(async () => {
  open = await startTestServer();
  guarded = await startTestServer({ token: TOKEN });
  // A same-host reverse proxy, as nginx or an envoy sidecar would sit in front: every request
  // reaches the debug server from loopback, carrying the remote client in X-Forwarded-For.
  const upstream = new URL(open.url);
  proxy = createServer((req, res) => {
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, 'x-forwarded-for': '203.0.113.9' },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((resolve) => proxy.close(resolve));
  await open.close();
  await guarded.close();
});

const PROXY_HEADERS: Record<string, string>[] = [
  { forwarded: 'for=203.0.113.9' },
  { 'x-forwarded-for': '203.0.113.9' },
  { 'x-real-ip': '203.0.113.9' },
];

test('without a token, a loopback request carrying a proxy header gets a coded 403', async () => {
  for (const headers of PROXY_HEADERS) {
    for (const route of ['/debug/pprof/heap', '/debug/memstats', '/metrics']) {
      const response = await fetch(`${open.url}${route}`, { headers });
      assert.equal(response.status, 403, `${route} ${JSON.stringify(headers)}`);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'TIERCACHE_FORBIDDEN');
      assert.match(body.error.message, /proxy headers/);
    }
  }
  // The same request without the header is still served.
  const direct = await fetch(`${open.url}/debug/memstats`);
  assert.equal(direct.status, 200);
  await direct.arrayBuffer();
});

test('a remote client behind a same-host reverse proxy gets no profile without a token', async () => {
  const response = await fetch(`${proxyUrl}/debug/pprof/heap`);
  assert.equal(response.status, 403);
  const body = (await response.json()) as { error: { code: string } };
  assert.equal(body.error.code, 'TIERCACHE_FORBIDDEN');
});

test('with a token, proxy headers do not matter: the token decides', async () => {
  for (const headers of PROXY_HEADERS) {
    const response = await fetch(`${guarded.url}/debug/memstats`, {
      headers: { ...headers, authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(response.status, 200, JSON.stringify(headers));
    await response.arrayBuffer();
  }
});
