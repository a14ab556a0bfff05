import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { requestTimeoutMs } from '../../src/cli/fetch-source.ts';
import { runTiercache, spawnTiercache } from './helpers.ts';

/** A loopback TCP server that accepts connections and then, optionally, stalls mid-answer. */
async function hangingServer(firstBytes?: string): Promise<{ url: string; server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (firstBytes !== undefined) socket.once('data', () => socket.write(firstBytes));
  });
  server.on('close', () => {
    for (const socket of sockets) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server };
}

let silent: { url: string; server: Server };
let stalled: { url: string; server: Server };
before(async () => {
  silent = await hangingServer();
  // Headers promise 100 bytes of body; one arrives.
  stalled = await hangingServer('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{');
});
after(() => {
  silent.server.close();
  stalled.server.close();
});

test('a server that never answers ends in one timeout line, for every command', {
  timeout: 30_000,
}, async () => {
  for (const command of ['memstats', 'top', 'watch']) {
    const result = await runTiercache([command, silent.url, '--timeout', '0.5']);
    assert.equal(result.code, 1, `${command}: ${result.stderr}`);
    assert.match(
      result.stderr,
      /^tiercache: http:\/\/127\.0\.0\.1:\d+\/debug\/\S+ did not answer within 0\.5 s \(raise it with --timeout\)\n$/,
      command,
    );
  }
});

test('a server that stalls after its headers times out as well', { timeout: 30_000 }, async () => {
  const result = await runTiercache(['memstats', stalled.url, '--timeout', '0.5']);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /^tiercache: \S+ did not answer within 0\.5 s/);
});

test('Ctrl-C cancels a request in flight: memstats says so, watch exits 0', {
  timeout: 30_000,
}, async () => {
  for (const [command, expectedCode] of [
    ['memstats', 1],
    ['watch', 0],
  ] as const) {
    // No --timeout: the 15 s default would outlast this test's patience if Ctrl-C did nothing.
    const connected = once(silent.server, 'connection');
    const child = spawnTiercache([command, silent.url]);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await connected;
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    assert.equal(code, expectedCode, `${command}: ${stderr}`);
    if (command === 'memstats') {
      assert.match(stderr, /^tiercache: interrupted while waiting for \S+\/debug\/memstats\n$/);
    } else {
      assert.equal(stderr, '');
    }
  }
});

test('the default time limit is the profile window plus 10 s, else 15 s', () => {
  const at = (path: string) => requestTimeoutMs(new URL(`http://127.0.0.1:6060${path}`));
  assert.equal(at('/debug/memstats'), 15_000);
  assert.equal(at('/metrics'), 15_000);
  assert.equal(at('/debug/pprof/heap'), 15_000);
  assert.equal(at('/debug/pprof/profile?seconds=5'), 15_000);
  assert.equal(at('/debug/pprof/allocs'), 40_000);
  assert.equal(at('/debug/pprof/profile?seconds=600'), 70_000);
});

test('--timeout must be a positive number of seconds up to an hour', async () => {
  for (const value of ['0', '-1', 'soon', '3601']) {
    const result = await runTiercache(['memstats', silent.url, `--timeout=${value}`]);
    assert.equal(result.code, 2, value);
    assert.match(result.stderr, /^tiercache: memstats: --timeout must be/);
  }
});
