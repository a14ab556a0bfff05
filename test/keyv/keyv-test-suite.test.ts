// Runs the official Keyv adapter suite (@keyv/test-suite, written for Vitest) against
// tiercache/keyv in a Vitest child process, and fails unless every one of its tests passed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { skipWithoutRedis } from '../helpers/redis.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('@keyv/test-suite passes against KeyvMemoryStore and KeyvTieredStore', async () => {
  // Without Redis (outside CI) only the KeyvMemoryStore half runs.
  const noRedis = (await skipWithoutRedis()) !== false;
  const dir = mkdtempSync(join(tmpdir(), 'tiercache-keyv-suite-'));
  try {
    const report = join(dir, 'report.json');
    const result = spawnSync(
      process.execPath,
      [
        join(root, 'node_modules/vitest/vitest.mjs'),
        'run',
        '--config',
        'test/keyv/vitest.config.ts',
        '--reporter=json',
        `--outputFile=${report}`,
      ],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '', KEYV_SUITE_NO_REDIS: noRedis ? '1' : '0' },
      },
    );
    const summary = JSON.parse(readFileSync(report, 'utf8')) as {
      numPassedTests: number;
      numFailedTests: number;
      testResults: { assertionResults: { fullName: string; status: string }[] }[];
    };
    const failed = summary.testResults
      .flatMap((file) => file.assertionResults)
      .filter((a) => a.status === 'failed')
      .map((a) => a.fullName);
    assert.deepEqual(
      failed,
      [],
      `failed Keyv suite tests:\n${failed.join('\n')}\n${result.stderr}`,
    );
    assert.equal(result.status, 0, result.stderr);
    assert.equal(summary.numFailedTests, 0);
    // The suite's API, value and namespace tests: twice for KeyvMemoryStore (an owned store, a
    // shared one), once for KeyvTieredStore.
    const expected = noRedis ? 70 : 110;
    assert.ok(summary.numPassedTests >= expected, `${summary.numPassedTests} suite tests passed`);
    assert.doesNotMatch(result.stderr, /TIERCACHE_/, 'the suite run raised a tiercache warning');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
