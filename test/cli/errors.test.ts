import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { type FixtureServer, runTiercache, spawnFixtureServer } from './helpers.ts';

const TOKEN = 'cli-test-token-0123456789abcdef';
let server: FixtureServer;
before(async () => {
  server = await spawnFixtureServer({ FIXTURE_TOKEN: TOKEN });
});
after(() => server.stop());

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test('an unreachable URL is one line and exit 1', async () => {
  const port = await closedPort();
  for (const command of ['memstats', 'top', 'watch']) {
    const result = await runTiercache([command, `http://127.0.0.1:${port}`]);
    assert.equal(result.code, 1, command);
    assert.match(
      result.stderr,
      /^tiercache: cannot reach http:\/\/127\.0\.0\.1:\d+\/debug\/\S+: connection refused\n$/,
    );
  }
});

test('a 401 says to pass the token; --token and TIERCACHE_DEBUG_TOKEN both work', async () => {
  const denied = await runTiercache(['memstats', server.url]);
  assert.equal(denied.code, 1);
  assert.match(
    denied.stderr,
    /^tiercache: \S+ answered 401 Unauthorized: pass --token or set TIERCACHE_DEBUG_TOKEN\n$/,
  );
  const flag = await runTiercache(['memstats', server.url, '--token', TOKEN]);
  assert.equal(flag.code, 0, flag.stderr);
  const env = await runTiercache(['top', server.url, '--nodes', '1'], {
    TIERCACHE_DEBUG_TOKEN: TOKEN,
  });
  assert.equal(env.code, 0, env.stderr);
  assert.match(env.stdout, /^Type: inuse_space$/m);
});

test('a server error is reported with its message', async () => {
  const result = await runTiercache([
    'top',
    server.url,
    '--sample',
    'alloc_space',
    '--seconds',
    '61',
    '--token',
    TOKEN,
  ]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^tiercache: \S+ answered 400 Bad Request: Query parameter "seconds" must be .* at most 60/,
  );
});
