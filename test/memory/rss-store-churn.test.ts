// The churn of many small stores (4,000 stores of 4 KiB chunks, up to 200 alive at once, so
// freed chunks sit between live ones): after the last one closes, the process's RSS, read from
// outside, comes back within 1.3x of its value before the churn, twice in a row, without gc()
// or malloc_trim from the test. With one malloc'd Buffer per chunk this stayed resident.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allocatorReport } from 'tiercache/memory';
import { checkRssComesBack } from './rss-harness.ts';

test('the churn of many small stores gives its RSS back, two rounds', {
  skip: process.platform !== 'linux' && 'reads /proc/PID/status',
  timeout: 600_000,
}, async (t) => {
  const nativeHelper = allocatorReport().native.loaded;
  if (!nativeHelper) t.diagnostic('native helper not built: checking the slab pool part only');
  await checkRssComesBack({
    scenario: 'store-churn',
    rounds: 2,
    minGrowthMiB: 60,
    nativeHelper,
    diagnostic: (message) => t.diagnostic(message),
    assert,
  });
});
