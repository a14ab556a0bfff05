// The package as a user gets it: scripts/smoke-install.mjs packs it, installs the tarball with
// ioredis (and nothing else) into a new project, type-checks a TypeScript consumer against the
// installed declarations and runs an ESM smoke script over the local Redis.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { skipWithoutRedis } from '../helpers/redis.ts';

const script = fileURLToPath(new URL('../../scripts/smoke-install.mjs', import.meta.url));

test('npm pack, install into an empty project, tsc and run', {
  skip: await skipWithoutRedis(),
}, () => {
  const result = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /smoke-install: ok \(installed from a tarball\)/);
});
