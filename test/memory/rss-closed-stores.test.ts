// 128 stores of 8 MiB (the room service's bug mode: 256 shards, 16 KiB entries), preallocated
// and filled, then closed: the process's RSS, read from outside, comes back within 1.3x of its
// value before they were created, twice in a row (the second round is where glibc's raised mmap
// threshold used to keep freed memory resident), without gc() or malloc_trim from the test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allocatorReport } from 'tiercache/memory';
import { checkRssComesBack } from './rss-harness.ts';

test('128 closed 8 MiB stores give their RSS back, two rounds', {
  skip: process.platform !== 'linux' && 'reads /proc/PID/status',
  timeout: 600_000,
}, async (t) => {
  const nativeHelper = allocatorReport().native.loaded;
  if (!nativeHelper) t.diagnostic('native helper not built: checking the slab pool part only');
  await checkRssComesBack({
    scenario: 'closed-stores',
    rounds: 2,
    minGrowthMiB: 700,
    nativeHelper,
    diagnostic: (message) => t.diagnostic(message),
    assert,
  });
});
