import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PROXY_HEADERS } from 'tiercache/diagnostics';
import { startTestApp } from '../helpers/test-app.ts';
import { rawRequest } from './raw-request.ts';

let app: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

// What a same-host reverse proxy, load balancer or CDN adds; each means "relayed for someone".
const headers: Record<string, string> = {
  forwarded: 'for=203.0.113.7',
  'x-forwarded-for': '203.0.113.7',
  'x-real-ip': '203.0.113.7',
  'cf-connecting-ip': '203.0.113.7',
  'true-client-ip': '203.0.113.7',
  'x-client-ip': '203.0.113.7',
  'x-forwarded-host': 'rooms.example.com',
};

test('the policy lists every proxy header the service and the library refuse', () => {
  for (const name of Object.keys(headers)) assert.ok(PROXY_HEADERS.includes(name), name);
});

for (const path of ['/api/state', '/debug/memstats', '/metrics']) {
  test(`${path}: a loopback request carrying a proxy header is not trusted as local (403)`, async () => {
    const direct = await rawRequest(app.base, path);
    assert.equal(direct.status, 200, 'a direct loopback request is served');
    if (path === '/api/state') {
      // The state reports the connection guard: this request's own connection at least.
      assert.ok(JSON.parse(direct.text).connections.open >= 1);
    }
    for (const [name, value] of Object.entries(headers)) {
      const res = await rawRequest(app.base, path, { [name]: value });
      assert.equal(res.status, 403, `${path} with ${name}`);
      assert.equal(JSON.parse(res.text).error.code, 'TIERCACHE_FORBIDDEN', name);
    }
  });
}
