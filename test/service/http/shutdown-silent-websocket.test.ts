import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, NodeProcess } from '../helpers/node-process.ts';

test('SIGTERM exits promptly even when a WebSocket client never answers the close frame', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tiercache-shutdown-'));
  const port = await freePort();
  const node = await NodeProcess.start({
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_PATH: join(dir, 'rooms.sqlite'),
    SEED_USERS: '50',
    REDIS_URL: '',
    NODES: '',
  });
  // A client that completes the handshake, then reads nothing and never sends a close frame.
  const socket = connect(port, '127.0.0.1');
  try {
    socket.write(
      'GET /rooms/quiet/events HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: websocket\r\n' +
        'connection: Upgrade\r\nsec-websocket-version: 13\r\n' +
        'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    const [answer] = (await once(socket, 'data')) as [Buffer];
    assert.match(answer.toString(), /^HTTP\/1\.1 101/);
    socket.on('data', () => {}); // the close frame is read and ignored
    socket.on('error', () => {});

    const exited = once(node.child, 'exit');
    node.child.kill('SIGTERM');
    // ws waits 30 s for the close frame on its own; the node must cut the client long before.
    // The bound is generous for a loaded machine and far below those 30 s.
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'still running'>((resolve) => {
      timer = setTimeout(() => resolve('still running'), 8_000);
    });
    const outcome = await Promise.race([exited, bound]).finally(() => clearTimeout(timer));
    assert.notEqual(outcome, 'still running', `the node did not exit:\n${node.output}`);
    assert.equal(node.child.exitCode, 0, node.output);
  } finally {
    socket.destroy();
    if (node.child.exitCode === null) node.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
