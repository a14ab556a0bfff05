/**
 * Scenario: forwarding to a frozen owner. A node forwards requests for rooms owned by a peer
 * that accepts connections and never answers (what a SIGSTOPped process looks like from the
 * network). 240 concurrent `GET /rooms/:rid` for such rooms, `FORWARD_TIMEOUT_MS=5000`; the
 * figure is each request's time from the client's send to its 502, measured by a client in a
 * worker thread (its own event loop, as a separate client would have). The deadline
 * covers queue time for an agent socket, so every request should end one deadline after it was
 * sent, not several. Each round first times the same number of concurrent `GET /healthz` (what
 * merely answering that many requests at once costs on the machine) as a baseline.
 *
 *   npm run bench -- forward-frozen-owner [--rounds 3] [--requests 240]
 */
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { Rendezvous } from '../service/cluster/index.ts';
import { freePort } from '../test/service/helpers/node-process.ts';
import { startTestApp } from '../test/service/helpers/test-app.ts';
import { argNumber, fmt, machineLine, median, percentile, printTable } from './_harness.ts';

const rounds = argNumber('--rounds', 3);

// The client runs in a worker thread, with an event loop of its own: the figure is what a
// separate client sees, not the node's event loop shared with 240 fetches.
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  // Warm up: the first fetch() in a thread loads undici (~100 ms), which is not the node's time.
  await (await fetch(workerData.base + '/healthz')).text();
  const times = await Promise.all(workerData.paths.map(async (path) => {
    const start = performance.now();
    const res = await fetch(workerData.base + path);
    const body = await res.text();
    if (res.status !== workerData.status) throw new Error('expected ' + workerData.status + ', got ' + res.status + ': ' + body);
    return performance.now() - start;
  }));
  parentPort.postMessage(times);
})().catch((error) => { throw error; });
`;

async function timeInWorker(paths: string[], status: number): Promise<number[]> {
  const worker = new Worker(CLIENT, { eval: true, workerData: { paths, status, base: app.base } });
  const [times] = (await once(worker, 'message')) as [number[]];
  await worker.terminate();
  return times;
}
const requests = argNumber('--requests', 240);
const TIMEOUT_MS = 5_000;

const frozen = createServer();
const held = new Set<Socket>();
frozen.on('connection', (socket) => {
  held.add(socket);
  socket.on('error', () => undefined);
  socket.on('close', () => held.delete(socket));
});
frozen.listen(0, '127.0.0.1');
await once(frozen, 'listening');
const owner = `http://127.0.0.1:${(frozen.address() as { port: number }).port}`;
const port = await freePort();
const self = `http://127.0.0.1:${port}`;
const app = await startTestApp({
  port,
  nodes: [self, owner],
  forwardTimeoutMs: TIMEOUT_MS,
  // One client address sends every round: keep-alive sockets of earlier rounds stay open.
  maxConnectionsPerAddress: 4_096,
});
const ring = new Rendezvous([self, owner]);

const rows: string[][] = [];
const p99s: number[] = [];
try {
  let next = 0;
  for (let round = 0; round < rounds; round++) {
    const rids: string[] = [];
    while (rids.length < requests) {
      const rid = `frozen-${next++}`;
      if (ring.owner(rid) === owner) rids.push(rid);
    }
    // Baseline: the same number of concurrent requests that the node answers at once.
    const baseline = await timeInWorker(
      rids.map((rid) => `/healthz?${rid}`),
      200,
    );
    const times = await timeInWorker(
      rids.map((rid) => `/rooms/${rid}`),
      502,
    );
    const baseP99 = percentile(baseline, 99);
    const p99 = percentile(times, 99);
    p99s.push(p99);
    rows.push([
      String(round + 1),
      fmt(median(times)),
      fmt(p99),
      fmt(Math.max(...times)),
      fmt(p99 - TIMEOUT_MS),
      fmt(baseP99),
      fmt(p99 - TIMEOUT_MS - baseP99),
    ]);
    for (const socket of held) socket.destroy();
  }
  printTable(
    [
      'round',
      'p50 ms',
      'p99 ms',
      'max ms',
      'p99 beyond the deadline, ms',
      `p99 of ${requests} × /healthz, ms`,
      'beyond deadline + /healthz p99, ms',
    ],
    rows,
  );
  console.log(
    `\n${requests} concurrent requests per round, FORWARD_TIMEOUT_MS=${TIMEOUT_MS}; target p99 ≤ deadline + 100 ms; median p99 ${fmt(median(p99s))} ms`,
  );
  console.log(machineLine());
} finally {
  await app.close();
  for (const socket of held) socket.destroy();
  frozen.close();
}
process.exit(0);
