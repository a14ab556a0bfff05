import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTiercache } from './helpers.ts';

test('repro runs both modes, shows the warning with its site, and ends with the table', async () => {
  // 10 rooms x 17 MiB keeps the bigcache-like side small; the warning threshold is 8.
  const result = await runTiercache(['repro', '--rooms', '10', '--per-store-mib', '17']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /-- bigcache-like\n/);
  assert.match(result.stdout, /-- tiercache\n/);
  assert.match(
    result.stdout,
    /process warning TIERCACHE_MANY_STORES: 9 live MemoryStores were created at createRoomCache \(.*repro-child\.(ts|js):\d+:\d+\)/,
  );
  const summary = /bigcache-like stores reserve ([\d.]+) MiB, tiercache's ([\d.]+) MiB/.exec(
    result.stdout,
  );
  assert.ok(summary, result.stdout);
  // Ten preallocated 17 MiB stores against ten lazy stores holding 50 small profiles each.
  assert.ok(Number(summary[1]) >= 160, `bigcache-like reserve ${summary[1]} MiB`);
  assert.ok(Number(summary[2]) < 5, `tiercache reserve ${summary[2]} MiB`);
  assert.equal(result.stderr, '');
});

test('repro refuses sizes that cannot hold the story config, in one line', async () => {
  const small = await runTiercache(['repro', '--per-store-mib', '4']);
  assert.equal(small.code, 2);
  assert.match(small.stderr, /^tiercache: repro: --per-store-mib must be at least 17 .*\n$/);
  const many = await runTiercache(['repro', '--rooms', '1001']);
  assert.equal(many.code, 2);
  assert.match(many.stderr, /^tiercache: repro: --rooms must be an integer in 1\.\.1000/);
  const huge = await runTiercache(['repro', '--rooms', '500', '--per-store-mib', '500']);
  assert.equal(huge.code, 2);
  assert.match(huge.stderr, /would preallocate over 8 GiB/);
});
