/**
 * `npm run load -- --rooms 200 --bots 1000 --seconds 60`: a headless load generator against a
 * room service node on loopback (`--url`, default http://127.0.0.1:8080; when nothing answers
 * there, it starts a node of its own in this process). Shows a progress bar, stops by itself,
 * and prints messages/s, latency p50/p99 and the node's memory before and after.
 *
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type App, startApp } from '../app.ts';
import { configFromEnv } from '../config.ts';
import { HttpTarget } from './http-target.ts';
import { LoadGenerator, type LoadReport } from './load-generator.ts';
import { startProgressBar } from './progress-bar.ts';

const MiB = 1024 * 1024;

interface NodeMemory {
  rss: number;
  heapUsed: number;
  external: number;
  storeReserved: number;
  liveRooms: number;
}

const { values } = parseArgs({
  options: {
    rooms: { type: 'string', default: '200' },
    bots: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '60' },
    'think-ms': { type: 'string', default: '200' },
    'churn-ms': { type: 'string', default: '0' },
    users: { type: 'string', default: '10000' },
    url: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`usage: npm run load -- [--rooms 200] [--bots 1000] [--seconds 60] [--think-ms 200]
                     [--churn-ms 0] [--users 10000] [--url http://127.0.0.1:8080]
Bots join rooms and chat, take seats, roll dice, fire dry ice, read rooms and profiles.
--users is how many users the node has (its SEED_USERS). Loopback targets only.
Without --url and with nothing on :8080, a node is started in this process.`);
  process.exit(0);
}

function count(name: string, raw: string | undefined): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`--${name} must be a number >= 0, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

async function reachable(url: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** The node's memory from `/api/state`, or undefined when it does not answer within 5 s. */
async function nodeMemory(url: string): Promise<NodeMemory | undefined> {
  try {
    const res = await fetch(new URL('/api/state', url), { signal: AbortSignal.timeout(5_000) });
    const state = (await res.json()) as {
      memory: NodeJS.MemoryUsage;
      stores: { reservedBytes: number };
      rooms: { live: number };
    };
    return {
      rss: state.memory.rss,
      heapUsed: state.memory.heapUsed,
      external: state.memory.external,
      storeReserved: state.stores.reservedBytes,
      liveRooms: state.rooms.live,
    };
  } catch {
    return undefined;
  }
}

function printReport(report: LoadReport, before?: NodeMemory, after?: NodeMemory): void {
  const mib = (n: number | undefined) => (n === undefined ? 'n/a' : `${(n / MiB).toFixed(1)} MiB`);
  const rows: Array<[string, string, string]> = [
    ['rss', mib(before?.rss), mib(after?.rss)],
    ['JS heap used', mib(before?.heapUsed), mib(after?.heapUsed)],
    ['external', mib(before?.external), mib(after?.external)],
    ['store reserved', mib(before?.storeReserved), mib(after?.storeReserved)],
    ['live rooms', String(before?.liveRooms ?? 'n/a'), String(after?.liveRooms ?? 'n/a')],
  ];
  const { latencyMs: l, outcomes: o } = report;
  console.log(`
actions          ${report.actions.toLocaleString('en-US')} in ${(report.elapsedMs / 1000).toFixed(1)} s
messages/s       ${Math.round(report.actionsPerSecond).toLocaleString('en-US')}
latency          p50 ${l.p50.toFixed(2)} ms · p90 ${l.p90.toFixed(2)} ms · p99 ${l.p99.toFixed(2)} ms · max ${l.max.toFixed(1)} ms
outcomes         ok ${o.ok} · refused by the room ${o.rejected} · mailbox full ${o.busy} · failed ${o.failed}
rooms touched    ${report.roomsTouched}

memory of the node   before        after`);
  for (const [name, b, a] of rows)
    console.log(`${name.padEnd(20)} ${b.padStart(12)} ${a.padStart(12)}`);
}

const options = {
  rooms: count('rooms', values.rooms),
  bots: count('bots', values.bots),
  seconds: count('seconds', values.seconds),
  thinkMs: count('think-ms', values['think-ms']),
  churnMs: count('churn-ms', values['churn-ms']),
};

let url = values.url ?? 'http://127.0.0.1:8080';
let embedded: { app: App; dir: string } | undefined;
if (values.url === undefined && !(await reachable(url))) {
  const dir = mkdtempSync(join(tmpdir(), 'tiercache-load-'));
  const app = await startApp({
    ...configFromEnv({ ...process.env, PORT: '0', HOST: '127.0.0.1' }),
    dataPath: join(dir, 'rooms.sqlite'),
  });
  embedded = { app, dir };
  url = app.url;
  console.log(`nothing answered on :8080; started a node in this process at ${url}`);
} else if (!(await reachable(url))) {
  console.error(`no room service answers at ${url}`);
  process.exit(1);
}

const target = new HttpTarget(url, { maxSockets: Math.min(256, Math.max(8, options.bots)) });
const generator = new LoadGenerator(target, { ...options, users: count('users', values.users) });
console.log(
  `load: ${options.bots} bots in ${options.rooms} rooms for ${options.seconds} s against ${url}`,
);
process.once('SIGINT', () => generator.stop());

const before = await nodeMemory(url);
const stopBar = startProgressBar(() => generator.progress());
const report = await generator.run();
stopBar();
const after = await nodeMemory(url);
printReport(report, before, after);

await target.close();
if (embedded !== undefined) {
  await embedded.app.close();
  rmSync(embedded.dir, { recursive: true, force: true });
}
