import assert from 'node:assert/strict';
import { getEventListeners, once } from 'node:events';
import { after, before, test } from 'node:test';
import { runCli } from '../../src/cli/index.ts';
import { type FixtureServer, runTiercache, spawnFixtureServer, spawnTiercache } from './helpers.ts';

let server: FixtureServer;
before(async () => {
  server = await spawnFixtureServer();
});
after(() => server.stop());

const DATA_LINE = /^\d\d:\d\d:\d\d +[\d.]+ (B|KiB|MiB|GiB)/;

test('tiercache watch --count N prints N live lines with trends, then exits 0', async () => {
  const result = await runTiercache(['watch', server.url, '--count', '4', '--interval', '0.2']);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.split('\n').filter((l) => DATA_LINE.test(l));
  assert.equal(lines.length, 4);
  assert.match(result.stdout, /^ +time +rss +heap used +external +stores$/m);
  // From the third poll on, each column carries its trend per minute.
  assert.match(lines[3] ?? '', /[+-][\d.]+ (B|KiB|MiB|GiB)\/m/);
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

test('tiercache watch over many polls leaves stderr empty (no listener leak warning)', async () => {
  // Node warns (MaxListenersExceededWarning) at the 11th listener on one signal: 14 polls pass it.
  const result = await runTiercache(['watch', server.url, '--count', '14', '--interval', '0.05']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.split('\n').filter((l) => DATA_LINE.test(l)).length, 14);
  assert.equal(result.stderr, '');
});

test('watch leaves no abort listener behind on the signal it was given', async () => {
  const controller = new AbortController();
  let stderr = '';
  const code = await runCli(['watch', server.url, '--count', '12', '--interval', '0.01'], {
    stdout: { write: () => true },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    signal: controller.signal,
  });
  assert.equal(code, 0, stderr);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});
