import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, test } from 'node:test';
import {
  createDiagnosticsHandler,
  type DebugServer,
  startDebugServer,
} from 'tiercache/diagnostics';
import { ErrorCodes, InsecureDebugError, InvalidOptionError } from 'tiercache/errors';
import { startTestServer } from './helpers.ts';

const TOKEN = 'a-test-token-of-32-characters-xx';
let server: DebugServer;

interface ErrorBody {
  error: { code: string; message: string };
}
const errorBody = async (response: Response) => (await response.json()) as ErrorBody;
before(async () => {
  server = await startTestServer({ token: TOKEN });
});
after(() => server.close());

test('binding a non-loopback address without a token is refused at start', async () => {
  for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
    await assert.rejects(startDebugServer({ host, port: 0 }), (err: unknown) => {
      assert.ok(err instanceof InsecureDebugError);
      assert.equal(err.code, ErrorCodes.INSECURE_DEBUG);
      assert.match(err.message, /token/);
      return true;
    });
  }
});

test('a token shorter than 16 characters is refused', async () => {
  await assert.rejects(startDebugServer({ port: 0, token: 'short' }), InvalidOptionError);
});

test('requests without the token or with a wrong one get 401', async () => {
  for (const url of [`${server.url}/debug/memstats`, `${server.url}/debug/pprof/heap`]) {
    const missing = await fetch(url);
    assert.equal(missing.status, 401);
    assert.equal((await errorBody(missing)).error.code, 'TIERCACHE_UNAUTHORIZED');
    const wrong = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}-nope` } });
    assert.equal(wrong.status, 401);
    await wrong.arrayBuffer();
    const wrongQuery = await fetch(`${url}?token=${TOKEN.slice(1)}`);
    assert.equal(wrongQuery.status, 401);
    await wrongQuery.arrayBuffer();
  }
});

test('the token is accepted as a Bearer header and as ?token=', async () => {
  const header = await fetch(`${server.url}/debug/memstats`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(header.status, 200);
  await header.json();
  const query = await fetch(`${server.url}/debug/pprof/heap?token=${TOKEN}`);
  assert.equal(query.status, 200);
  await query.arrayBuffer();
});

test('a second profile while one runs gets 409 with a clear body', async () => {
  const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
  const first = fetch(`${server.url}/debug/pprof/profile?seconds=1`, auth);
  // Give the first request time to take the lock.
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const route of ['profile?seconds=1', 'allocs?seconds=1', 'heap']) {
    const second = await fetch(`${server.url}/debug/pprof/${route}`, auth);
    assert.equal(second.status, 409, route);
    const body = await errorBody(second);
    assert.equal(body.error.code, 'TIERCACHE_PROFILE_BUSY');
    assert.match(body.error.message, /cpu profile is being taken/);
  }
  assert.equal((await first).status, 200);
  await (await first).arrayBuffer();
});

test('seconds outside (0, 60] or not a number gets 400', async () => {
  const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
  for (const seconds of ['61', '0', '-1', 'abc', '1e3', '']) {
    for (const route of ['profile', 'allocs']) {
      const response = await fetch(`${server.url}/debug/pprof/${route}?seconds=${seconds}`, auth);
      assert.equal(response.status, 400, `${route}?seconds=${seconds}`);
      const body = await errorBody(response);
      assert.equal(body.error.code, 'TIERCACHE_INVALID_ARGUMENT');
      assert.match(body.error.message, /at most 60/);
    }
  }
});

test('without a token the handler serves loopback clients only', async () => {
  const handler = createDiagnosticsHandler();
  const served = (remoteAddress: string) =>
    new Promise<number>((resolve) => {
      const req = {
        url: '/debug/memstats',
        method: 'GET',
        headers: {},
        socket: { remoteAddress },
      } as unknown as IncomingMessage;
      const res = {
        statusCode: 0,
        headersSent: false,
        destroyed: false,
        setHeader() {},
        end(this: { statusCode: number }) {
          resolve(this.statusCode);
        },
      } as unknown as ServerResponse;
      handler(req, res);
    });
  assert.equal(await served('10.1.2.3'), 403);
  assert.equal(await served('::ffff:192.0.2.1'), 403);
  assert.equal(await served('127.0.0.1'), 200);
  assert.equal(await served('::1'), 200);
  assert.equal(await served('::ffff:127.0.0.1'), 200);
});

test('other methods get 405 and unknown paths 404 (or next())', async () => {
  const auth = { authorization: `Bearer ${TOKEN}` };
  const post = await fetch(`${server.url}/debug/memstats`, { method: 'POST', headers: auth });
  assert.equal(post.status, 405);
  await post.arrayBuffer();
  const missing = await fetch(`${server.url}/elsewhere`, { headers: auth });
  assert.equal(missing.status, 404);
  await missing.arrayBuffer();

  const handler = createDiagnosticsHandler({ prefix: '/admin' });
  let nextCalled = false;
  handler(
    {
      url: '/debug/memstats',
      method: 'GET',
      headers: {},
      socket: {},
    } as unknown as IncomingMessage,
    {} as ServerResponse,
    () => {
      nextCalled = true;
    },
  );
  assert.ok(nextCalled, 'a path outside the prefix goes to next()');
});

test('paths named after prototype members are plain 404s, and bad options fail at construction', async () => {
  const auth = { authorization: `Bearer ${TOKEN}` };
  for (const path of ['/constructor', '/__proto__', '/toString', '/hasOwnProperty']) {
    const response = await fetch(`${server.url}${path}`, { headers: auth });
    assert.equal(response.status, 404, path);
    await response.arrayBuffer();
  }
  assert.throws(
    () => createDiagnosticsHandler({ heapSamplingIntervalBytes: 0 }),
    InvalidOptionError,
  );
  assert.throws(() => createDiagnosticsHandler({ prefix: 'admin' }), /prefix/);
});
