import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../helpers/node-process.ts';

const root = new URL('../../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tiercache-ulimit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** `npm start`'s entry point under `ulimit -n 512`; resolves once it prints its URL. */
async function startLimited(port: number, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(
    'bash',
    [
      '-c',
      'ulimit -n 512 && exec "$0" --conditions=source --import tsx service/main.ts',
      process.execPath,
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(port),
        DATA_PATH: join(dir, `node-${port}.sqlite`),
        SEED_USERS: '200',
        REDIS_URL: '',
        NODES: '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
      if (/^http:\/\/\S+\/$/m.test(output)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`node exited with ${code}:\n${output}`)));
  });
  return child;
}

/** Opens `count` TCP connections from 127.0.0.1 that never send a byte (bounded, in batches). */
async function idleConnections(port: number, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch = Array.from({ length: Math.min(50, count - i) }, () => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.on('error', () => undefined); // refused or reset connections are expected
      sockets.push(socket);
      return once(socket, 'connect').catch(() => undefined);
    });
    await Promise.all(batch);
  }
  return sockets;
}

/** GET /healthz from another loopback address (another client); undefined when it failed. */
function healthz(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/healthz', localAddress: '127.0.0.2', agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.setTimeout(2_000, () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

async function healthzWithin(port: number, attempts: number): Promise<number | undefined> {
  for (let i = 0; i < attempts; i++) {
    const status = await healthz(port);
    if (status === 200) return status;
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

test('600 idle connections at ulimit -n 512: the node stays up, answers /healthz, and refuses the excess with a JSON 503', {
  timeout: 120_000,
}, async () => {
  const port = await freePort();
  const child = await startLimited(port);
  const sockets = await idleConnections(port, 600);
  try {
    // A refused connection is told why before it is closed.
    const refused = sockets[sockets.length - 1]!;
    let said = '';
    refused.on('data', (c: Buffer) => {
      said += c.toString();
    });
    if (!refused.destroyed) await once(refused, 'close');
    assert.match(said, /^HTTP\/1\.1 503/);
    assert.match(said, /"code":"TIERCACHE_TOO_MANY_CONNECTIONS"/);
    assert.equal(await healthzWithin(port, 25), 200, 'another client is still served');
    assert.equal(child.exitCode, null, 'the node is still running');
  } finally {
    for (const socket of sockets) socket.destroy();
    await stop(child);
  }
});

test('with the caps raised past the descriptor limit, failed accepts (EMFILE) do not kill the node', {
  timeout: 120_000,
}, async () => {
  const port = await freePort();
  const child = await startLimited(port, {
    MAX_CONNECTIONS: '5000',
    MAX_CONNECTIONS_PER_ADDRESS: '5000',
  });
  let output = '';
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const sockets = await idleConnections(port, 600);
  try {
    // Hold them across a few samples of the dashboard's timer (memoryUsage() throws EMFILE).
    for (let i = 0; i < 15 && child.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(child.exitCode, null, `the node is still running:\n${output}`);
    for (const socket of sockets) socket.destroy();
    assert.equal(await healthzWithin(port, 25), 200, 'it serves again once descriptors are free');
    assert.match(output, /EMFILE/, 'the failed accepts were logged');
  } finally {
    for (const socket of sockets) socket.destroy();
    await stop(child);
  }
});
