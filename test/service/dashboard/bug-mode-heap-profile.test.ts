import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { memoryStores } from 'tiercache';
import { decodeProfile, summarizeProfile } from 'tiercache/diagnostics';
import { postJson, startTestApp } from '../helpers/test-app.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const ROOMS = 24;

const hasGo = await run('go', ['version']).then(
  () => true,
  () => false,
);
const skipGo = hasGo ? false : '`go` is not installed (apt-get install golang-go)';

let app: Awaited<ReturnType<typeof startTestApp>>;
let pprofDir: string;
before(async () => {
  app = await startTestApp({ bugStoreBytes: MiB });
  pprofDir = mkdtempSync(join(tmpdir(), 'tiercache-pprof-'));
  await postJson(`${app.base}/api/mode`, { mode: 'per-room' });
  for (let i = 0; i < ROOMS; i++) {
    const res = await postJson(`${app.base}/rooms/heap-${i}/messages`, {
      type: 'join',
      userId: 1 + i,
    });
    assert.equal(res.body.cacheMode, 'per-room');
  }
});
after(async () => {
  await app?.close();
  rmSync(pprofDir, { recursive: true, force: true });
});

const reserved = () => memoryStores().reduce((sum, s) => sum + s.reservedBytes, 0);

test('bug mode: /debug/pprof/heap puts the reserved bytes at createOwnCache', async () => {
  const response = await fetch(`${app.base}/debug/pprof/heap`);
  assert.equal(response.status, 200);
  const summary = summarizeProfile(decodeProfile(new Uint8Array(await response.arrayBuffer())));
  const total = reserved();
  const own = summary.functions
    .filter((f) => f.name === 'createOwnCache')
    .reduce((sum, f) => sum + f.flat, 0);
  assert.ok(own >= 0.9 * total, `createOwnCache holds ${own} of ${total} reserved bytes`);
  const top = summary.functions[0]!;
  assert.equal(top.name, 'createOwnCache');
  assert.match(top.file, /service\/cache\/profile-cache\.ts$/);
});

test('bug mode: go tool pprof -top lists createOwnCache with >= 90 % of the reserved bytes', {
  skip: skipGo,
}, async () => {
  const { stdout } = await run('go', ['tool', 'pprof', '-top', `${app.base}/debug/pprof/heap`], {
    env: { ...process.env, PPROF_TMPDIR: pprofDir },
    timeout: 60_000,
  });
  const line = stdout.split('\n').find((l) => /\screateOwnCache$/.test(l));
  assert.ok(line, `createOwnCache is listed:\n${stdout}`);
  // flat flat% sum% cum cum% name
  const flatPercent = Number(line.trim().split(/\s+/)[1]!.replace('%', ''));
  const total = reserved();
  const totalLine = /of ([\d.]+)([kMG]?B) total/.exec(stdout);
  assert.ok(totalLine, stdout);
  const unit = { B: 1, kB: 1024, MB: MiB, GB: 1024 * MiB }[totalLine[2]!] ?? 1;
  const profileTotal = Number(totalLine[1]) * unit;
  const flatBytes = (flatPercent / 100) * profileTotal;
  assert.ok(flatBytes >= 0.9 * total, `${line.trim()} against ${total} reserved bytes`);
});
