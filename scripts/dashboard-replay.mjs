#!/usr/bin/env node
// Replays the dashboard's bug-mode story against a running room service (`npm start`) and prints
// its RSS as `ps -o rss=` sees it from outside, once a second: rooms in shared mode, then
// per-room ("bug") mode with ROOMS rooms each building its own store, then back to shared. It
// also prints `/debug/memstats`'s RSS account (named share, slices) at the end of each phase.
// Nothing here asks the service for a GC or a trim. Loopback only; every loop is bounded.
//
//   node scripts/dashboard-replay.mjs --url http://127.0.0.1:8080 --pid <node pid> \
//     [--rooms 128] [--after 15] [--token <DEBUG_TOKEN>]
//
// The pid is the service's node process (with `npm start`, the child of the npm shell:
// `pgrep -f 'service/main.ts' -n`). Exits 1 when RSS is not within 1.3x of its value before the
// switch within 10 s of switching back.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8080' },
    pid: { type: 'string' },
    rooms: { type: 'string', default: '128' },
    shared: { type: 'string', default: '20' },
    after: { type: 'string', default: '15' },
    token: { type: 'string' },
  },
});
if (values.pid === undefined) throw new Error('--pid <node pid of the service> is required');
const base = values.url.replace(/\/+$/, '');
if (!/^http:\/\/(127\.|localhost|\[::1\])/.test(base)) throw new Error('--url must be loopback');
const pid = values.pid;
const rooms = Math.min(2000, Number(values.rooms));
const sharedRooms = Math.min(2000, Number(values.shared));
const afterSeconds = Math.min(600, Number(values.after));
const headers = { 'content-type': 'application/json' };
if (values.token) headers.authorization = `Bearer ${values.token}`;
const MiB = 1024 * 1024;
const start = Date.now();

/** RSS of the service from outside, MiB. */
function psRss() {
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', pid], { encoding: 'utf8' }).trim()) / 1024;
}

async function post(path, body) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function account(phase) {
  const res = await fetch(`${base}/debug/memstats`, { headers });
  const { rss } = await res.json();
  const slices = rss.slices
    .map((s) => `${s.key}${s.kind === 'derived' ? '(derived)' : ''} ${(s.bytes / MiB).toFixed(1)}`)
    .join(', ');
  console.log(
    `memstats ${phase}: RSS ${(rss.rssBytes / MiB).toFixed(1)} MiB, named ${(rss.namedShare * 100).toFixed(1)} %, overcount ${(rss.overcountBytes / MiB).toFixed(1)} MiB; ${slices}`,
  );
  return rss;
}

const join = (room, userId) => post(`/rooms/${room}/messages`, { type: 'join', userId });
const tag = `r${process.pid}`;
const line = (phase, rss) =>
  console.log(
    `t=${((Date.now() - start) / 1000).toFixed(1).padStart(5)} s  ${phase.padEnd(10)} RSS ${rss.toFixed(1)} MiB`,
  );

await post('/api/mode', { mode: 'shared' });
for (let i = 0; i < sharedRooms; i++) await join(`${tag}-s-${i}`, 1 + i);
await new Promise((r) => setTimeout(r, 2000));
const shared = await account('shared');
const sharedPs = psRss();
line('shared', sharedPs);
await post('/api/mode', { mode: 'per-room' });
const sampler = setInterval(() => line('bug mode', psRss()), 1000);
for (let i = 0; i < rooms; i++) await join(`${tag}-b-${i}`, 1 + (i % 1000));
clearInterval(sampler);
await new Promise((r) => setTimeout(r, 2000));
const before = psRss();
line('before', before);
const bug = await account('bug mode');
const switched = await post('/api/mode', { mode: 'shared' });
console.log(
  `switched back: released ${switched.released} stores${switched.gc ? `, service GC ${switched.gc.ms.toFixed(0)} ms` : ', no service GC'}`,
);
const switchedAt = Date.now();
let within;
for (let ticks = 0; ticks < afterSeconds; ticks++) {
  await new Promise((r) => setTimeout(r, switchedAt + (ticks + 1) * 1000 - Date.now()));
  const rss = psRss();
  line(`+${ticks + 1} s`, rss);
  if (within === undefined && rss <= 1.3 * sharedPs) within = ticks + 1;
}
const back = await account('back to shared');
const base0 = sharedPs;
console.log(
  `RSS shared ${base0.toFixed(1)} MiB, bug mode ${before.toFixed(1)} MiB, back ${(back.rssBytes / MiB).toFixed(1)} MiB; within 1.3x of shared after ${within ?? 'never'} s; named ${(shared.namedShare * 100).toFixed(1)} / ${(bug.namedShare * 100).toFixed(1)} / ${(back.namedShare * 100).toFixed(1)} %`,
);
process.exit(within !== undefined && within <= 10 ? 0 : 1);
