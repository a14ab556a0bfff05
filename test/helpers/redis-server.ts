/**
 * Private `redis-server` processes for tests that stop, pause, restart or cluster Redis: each
 * listens on a free loopback port (never 6379), keeps no data on disk, and is killed when the
 * test calls `kill()` or, as a safety net, when the test process exits.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A free TCP port on 127.0.0.1, as the kernel hands it out. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** A running private redis-server and the controls a fault test needs. */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** A new client on this server (the caller disconnects it). */
  client(options?: RedisOptions): Redis;
  /** Freezes the process (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void;
  /** Resumes a paused process (SIGCONT). */
  resume(): void;
  /** Kills the process (and resumes it first, so SIGKILL is delivered); resolves when it is gone. */
  stop(): Promise<void>;
  /** Starts the server again on the same port (data is gone). */
  restart(): Promise<void>;
  /** Stops the server and removes its directory; safe to call twice. */
  kill(): Promise<void>;
}

/** Starts a private redis-server; `args` are extra `--option value` pairs (e.g. cluster mode). */
export async function startRedisServer(args: string[] = []): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tiercache-redis-'));
  let child: ChildProcess | null = null;

  const launch = async (): Promise<void> => {
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--logfile',
        '',
        '--loglevel',
        'warning',
        ...args,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = proc;
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    await waitForPing(port, proc);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGCONT');
    proc.kill('SIGKILL');
    await exited;
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client: (options) => new Redis({ host: '127.0.0.1', port, ...options }),
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    stop,
    restart: launch,
    kill: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPing(port: number, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited on port ${port}: ${stderr}`);
    const probe = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return;
    } catch {
      // not listening yet
    } finally {
      probe.disconnect();
    }
    await sleep(50);
  }
  proc.kill('SIGKILL');
  throw new Error(`redis-server did not answer on port ${port} within 10 s: ${stderr}`);
}

/** `INFO commandstats` as a map of command name (lower case) to calls. */
export async function commandCalls(client: Redis): Promise<Map<string, number>> {
  const info = await client.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls.set(match[1]!, Number(match[2]));
  }
  return calls;
}
