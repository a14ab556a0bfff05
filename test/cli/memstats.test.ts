import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type FixtureServer, runTiercache, spawnFixtureServer } from './helpers.ts';

let server: FixtureServer;
before(async () => {
  server = await spawnFixtureServer();
});
after(() => server.stop());

test('tiercache memstats <url> prints the report readably, stores included', async () => {
  const result = await runTiercache(['memstats', server.url]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^Memory$/m);
  assert.match(result.stdout, /^ {2}rss +\d+(\.\d+)?[kMG]?B$/m);
  assert.match(result.stdout, /^Heap spaces$/m);
  assert.match(result.stdout, /^GC +\d+ collections/m);
  assert.match(result.stdout, /^Resources +\d+ active: \d+ sockets, [1-9]\d* servers/m);
  assert.match(result.stdout, /^Stores +1 live, 500 entries$/m);
  assert.match(result.stdout, /^ {2}cli-fixture-store +500 +\S+ +\S+ +.*debug-server\.ts/m);
  assert.match(result.stdout, /^Budget +process: /m);
});

test('tiercache memstats --json prints the raw report; the full route URL works too', async () => {
  const result = await runTiercache(['memstats', `${server.url}/debug/memstats`, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as {
    stores: { list: { name: string; size: number }[] };
  };
  assert.deepEqual(
    report.stores.list.map((s) => [s.name, s.size]),
    [['cli-fixture-store', 500]],
  );
});
