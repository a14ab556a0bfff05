import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApp } from '../helpers/test-app.ts';
import { rawRequest } from './raw-request.ts';

let app: Awaited<ReturnType<typeof startTestApp>>;
let port: string;
before(async () => {
  app = await startTestApp();
  port = new URL(app.base).port;
});
after(() => app.close());

// A DNS rebinding page reaches 127.0.0.1 under its own name: the browser sends that name as Host.
for (const path of ['/debug/memstats', '/debug/pprof/', '/metrics']) {
  test(`${path} refuses a loopback request whose Host names another host`, async () => {
    for (const host of [`rebind.example:${port}`, 'rebind.example', `127.0.0.1.nip.io:${port}`]) {
      const res = await rawRequest(app.base, path, { host });
      assert.equal(res.status, 403, `Host: ${host}`);
      assert.equal(JSON.parse(res.text).error.code, 'TIERCACHE_FORBIDDEN');
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      assert.equal((await rawRequest(app.base, path, { host })).status, 200, `Host: ${host}`);
    }
  });
}

test('with a token, the Host does not matter: the token is the credential', async () => {
  const token = 'a-debug-token-of-some-length';
  const withToken = await startTestApp({ debugToken: token });
  try {
    const res = await rawRequest(withToken.base, '/debug/memstats', {
      host: 'rooms.example.com',
      authorization: `Bearer ${token}`,
    });
    assert.equal(res.status, 200);
  } finally {
    await withToken.close();
  }
});
