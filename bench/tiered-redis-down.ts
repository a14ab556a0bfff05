/**
 * Scenario (4): Redis fails. Each library connects to a private redis-server and serves a read;
 * then the server is either stopped (connections refused) or frozen with SIGSTOP (connections
 * open, nothing ever answered: the failure the other libraries hang on). A third case starts the
 * libraries against a bare TCP server that accepts connections and never replies. Then `--reads` sequential read-through calls of cold keys (loader: 5 ms), each with
 * a hard cap of `--cap-ms` so the bench itself never hangs: a call past the cap is reported as
 * "hung > N s" and that library is abandoned for the case. Every library uses its default
 * options (tiercache: 500 ms Redis timeout, breaker after 5 failures).
 *
 *   npm run bench -- tiered-redis-down [--reads 20] [--cap-ms 5000]
 */
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type PrivateRedis, startRedisServer } from '../test/helpers/redis-server.ts';
import { argNumber, capped, fmt, HUNG, machineLine, percentile, printTable } from './_harness.ts';
import { type Contender, contenders } from './_tiered-contenders.ts';

const reads = argNumber('--reads', 20);
const capMs = argNumber('--cap-ms', 5000);
const LOADER_MS = 5;
const load = async () => {
  await sleep(LOADER_MS);
  return { id: 1 };
};

type Outcome = {
  name: string;
  p50?: number;
  p99?: number;
  max?: number;
  hung: boolean;
  errors: number;
};

async function measure(lib: Contender, round: string): Promise<Outcome> {
  const times: number[] = [];
  let errors = 0;
  for (let i = 0; i < reads; i++) {
    const t0 = performance.now();
    const result = await capped(
      lib.getOrLoad(`${round}:cold:${i}`, load).catch(() => {
        errors++;
      }),
      capMs,
    );
    if (result === HUNG) return { name: lib.name, hung: true, errors };
    times.push(performance.now() - t0);
  }
  return {
    name: lib.name,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    max: Math.max(...times),
    hung: false,
    errors,
  };
}

/** A TCP server that accepts connections and never writes a byte: Redis that never answers. */
async function silentServer(): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return {
    port: address.port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

const rows: string[][] = [];
const failures = ['stopped', 'frozen (SIGSTOP)', 'never answers (bare TCP)'] as const;
for (const failure of failures) {
  const silent = failure === 'never answers (bare TCP)' ? await silentServer() : null;
  const server: PrivateRedis | null = silent ? null : await startRedisServer();
  const libs = contenders.map((make) =>
    make({
      host: '127.0.0.1',
      port: silent?.port ?? server!.port,
      prefix: 'bench-down',
      memory: true,
      load: async (keys) => Promise.all(keys.map(() => load())),
    }),
  );
  if (server) {
    // Connected and working before the failure.
    for (const lib of libs) await lib.getOrLoad('warm', load);
    if (failure === 'stopped') await server.stop();
    else server.pause();
  }
  for (const lib of libs) {
    const outcome = await measure(lib, failure);
    rows.push([
      failure,
      outcome.name,
      outcome.hung ? `hung > ${fmt(capMs / 1000)} s` : fmt(outcome.p50!, 1),
      outcome.hung ? '—' : fmt(outcome.p99!, 1),
      String(outcome.errors),
    ]);
    console.error(`  ${failure}: ${outcome.name} done`);
  }
  // A hung library may never settle its close(): cap it too, then end the server.
  for (const lib of libs)
    await capped(
      lib.close().catch(() => {}),
      capMs,
    );
  await server?.kill();
  silent?.close();
}
printTable(['Redis', 'library', 'p50 ms', 'p99 ms', 'rejected reads'], rows);
console.log(
  `\ntarget: tiercache p99 ≤ Redis timeout (500 ms) + loader (${LOADER_MS} ms), never hung · ${reads} reads, cap ${fmt(capMs)} ms · ${machineLine()}`,
);
process.exit(0);
