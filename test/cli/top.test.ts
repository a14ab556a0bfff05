import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type FixtureServer, runTiercache, spawnFixtureServer } from './helpers.ts';

let server: FixtureServer;
let dir: string;
before(async () => {
  server = await spawnFixtureServer();
  dir = mkdtempSync(join(tmpdir(), 'tiercache-cli-top-'));
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function saveHeap(name: string): Promise<string> {
  const response = await fetch(`${server.url}/debug/pprof/heap?gc=1`);
  const path = join(dir, name);
  writeFileSync(path, Buffer.from(await response.arrayBuffer()));
  return path;
}

test('tiercache top <url> ranks the in-use heap like go tool pprof -top', async () => {
  const result = await runTiercache(['top', server.url]);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.split('\n');
  assert.equal(lines[0], 'Type: inuse_space');
  assert.match(lines[1] ?? '', /^Showing \d+ of \d+ functions, \S+ \S+ of \S+ \S+ total$/);
  assert.match(lines[2] ?? '', /^ +flat +flat% +sum% +cum +cum%$/);
  // fixtureRetains holds 100,000 objects from the start; the fixture's timer keeps adding more,
  // and on a slow machine it can pass it, so either may lead: it must be among the top rows.
  assert.ok(
    lines
      .slice(3, 6)
      .some((l) => /^ +\d+(\.\d+)? (B|KiB|MiB|GiB) +\d+(\.\d+)?% .*fixtureRetains /.test(l)),
    result.stdout,
  );
});

test('tiercache top <file> --base <file> shows the growth between two heap profiles', async () => {
  const base = await saveHeap('base.pb.gz');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const later = await saveHeap('later.pb.gz');
  const result = await runTiercache(['top', later, '--base', base, '--nodes', '3']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^Type: inuse_space \(growth from base\)$/m);
  // The fixture keeps adding objects from an anonymous timer callback; nothing else grows as much.
  assert.match(
    result.stdout.split('\n')[3] ?? '',
    /^ +\d+(\.\d+)? (B|KiB|MiB|GiB) .*\(anonymous test\/cli\/fixtures\/debug-server\.ts:\d+\) .*debug-server\.ts/,
  );
});

test('tiercache top --sample alloc_space --seconds 1 fetches an allocation window', async () => {
  const result = await runTiercache([
    'top',
    server.url,
    '--sample',
    'alloc_space',
    '--seconds',
    '1',
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^Type: alloc_space$/m);
});

test('a file that is not a profile is one line and exit 1', async () => {
  const path = join(dir, 'not-a-profile.json');
  writeFileSync(path, '{"hello":"world"}');
  const result = await runTiercache(['top', path]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^tiercache: .*not-a-profile\.json: not a pprof profile/);
  assert.equal(result.stderr.split('\n').length, 2);
  const missing = await runTiercache(['top', join(dir, 'absent.pb.gz')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^tiercache: cannot read .*absent\.pb\.gz: ENOENT\n$/);
});
