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
  // Where RSS goes: the share named, the slices, the derived remainder marked as such.
  assert.match(
    result.stdout,
    /^Where RSS goes +[\d.]+ (KiB|MiB|GiB) resident: named \d+ % of RSS/m,
  );
  assert.match(result.stdout, /^ +[\d.]+ (KiB|MiB|GiB) +[\d.]+% +file-backed/m);
  assert.match(result.stdout, /^ +[\d.]+ (KiB|MiB|GiB) +[\d.]+% +JS heap/m);
  assert.match(result.stdout, /^ {2}by creation site$/m);
  assert.match(
    result.stdout,
    /^ +1 +[\d.]+ (B|KiB|MiB) +.*\(test\/cli\/fixtures\/debug-server\.ts:\d+:\d+\)$/m,
  );
  assert.match(result.stdout, /^ {2}rss +\d+(\.\d+)? (B|KiB|MiB|GiB)$/m);
  assert.match(result.stdout, /^Heap spaces$/m);
  assert.match(result.stdout, /^GC +\d+ collections/m);
  assert.match(result.stdout, /^Resources +\d+ active: \d+ sockets, [1-9]\d* servers/m);
  assert.match(result.stdout, /^Stores +2 live, 502 entries$/m);
  assert.match(result.stdout, /^ {2}cli-fixture-store +500 +\S+ +\S+ +.*debug-server\.ts/m);
  assert.match(result.stdout, /^Budget +process: /m);
  assert.match(result.stdout, /^Caches +1 live$/m);
  assert.match(result.stdout, /^ {2}cli-fixture-cache$/m);
  assert.match(result.stdout, /^ {4}loader +loads 1, keys 2, errors 0, notFound 0$/m);
});

test('tiercache memstats --json prints the raw report; the full route URL works too', async () => {
  const result = await runTiercache(['memstats', `${server.url}/debug/memstats`, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as {
    stores: { list: { name: string; size: number }[] };
  };
  // The fixture's own store, and the one its TieredCache made for its memory tier.
  const store = report.stores.list.find((s) => s.name === 'cli-fixture-store');
  assert.equal(store?.size, 500);
  assert.equal(report.stores.list.length, 2);
});
