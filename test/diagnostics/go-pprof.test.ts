import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { DebugServer } from 'tiercache/diagnostics';
import { startTestServer } from './helpers.ts';

// Asynchronous on purpose: the server answering `go tool pprof` lives in this process.
const run = promisify(execFile);

async function goAvailable(): Promise<boolean> {
  try {
    await run('go', ['version']);
    return true;
  } catch {
    return false;
  }
}

const hasGo = await goAvailable();
const skip = hasGo
  ? false
  : '`go` is not installed (apt-get install golang-go): skipping the go tool pprof compatibility test';
if (!hasGo && process.env.CI === 'true') {
  throw new Error('CI=true but `go` is missing: .ci/run must install golang-go');
}
if (skip) console.warn(`SKIP go-pprof.test.ts: ${skip}`);

let server: DebugServer;
let pprofDir: string;
const retained: string[][] = [];

before(async () => {
  server = await startTestServer();
  pprofDir = mkdtempSync(join(tmpdir(), 'tiercache-pprof-'));
});
after(async () => {
  await server?.close();
  rmSync(pprofDir, { recursive: true, force: true });
});

function holdOnToStrings(): void {
  for (let i = 0; i < 20; i++)
    retained.push(Array.from({ length: 5_000 }, (_, j) => `held-${i}-${j}`));
}

function churnStrings(): number {
  let n = 0;
  for (let i = 0; i < 50_000; i++) n += `churn-${i}`.length;
  return n;
}

async function pprofTop(url: string): Promise<string> {
  const { stdout, stderr } = await run('go', ['tool', 'pprof', '-top', url], {
    // pprof saves a copy of every fetched profile under PPROF_TMPDIR (default ~/pprof).
    env: { ...process.env, PPROF_TMPDIR: pprofDir },
    timeout: 60_000,
  });
  return `${stderr}\n${stdout}`;
}

test('go tool pprof -top reads the live /debug/pprof/heap', { skip }, async () => {
  holdOnToStrings();
  const output = await pprofTop(`${server.url}/debug/pprof/heap?gc=1`);
  assert.match(output, /Type: inuse_space/);
  assert.match(output, /^\s*\S+\s+\S+%\s+\S+%\s+\S+\s+\S+%\s+holdOnToStrings$/m);
});

test('go tool pprof -top reads the live /debug/pprof/allocs?seconds=2', { skip }, async () => {
  const churn = setInterval(churnStrings, 10);
  try {
    const output = await pprofTop(`${server.url}/debug/pprof/allocs?seconds=2`);
    assert.match(output, /Type: alloc_space/);
    assert.match(output, /^\s*\S+\s+\S+%\s+\S+%\s+\S+\s+\S+%\s+churnStrings$/m);
  } finally {
    clearInterval(churn);
  }
});
