import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { type FixtureServer, runTiercache, spawnFixtureServer, spawnTiercache } from './helpers.ts';

let server: FixtureServer;
before(async () => {
  server = await spawnFixtureServer();
});
after(() => server.stop());

const DATA_LINE = /^\d\d:\d\d:\d\d +\S+B/;

test('tiercache watch --count N prints N live lines with trends, then exits 0', async () => {
  const result = await runTiercache(['watch', server.url, '--count', '4', '--interval', '0.2']);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.split('\n').filter((l) => DATA_LINE.test(l));
  assert.equal(lines.length, 4);
  assert.match(result.stdout, /^ +time +rss +heap used +external +stores$/m);
  // From the third poll on, each column carries its trend per minute.
  assert.match(lines[3] ?? '', /[+-]\S+B\/m/);
});

test('tiercache watch runs until Ctrl-C and then exits 0', async () => {
  const child = spawnTiercache(['watch', server.url, '--interval', '0.2']);
  let out = '';
  await new Promise<void>((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').filter((l) => DATA_LINE.test(l)).length >= 2) resolve();
    });
  });
  child.kill('SIGINT');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
});
