#!/usr/bin/env node
// Runs every test file under test/ with node's own test runner, TypeScript loaded through tsx,
// the `source` export condition (so `import 'tiercache'` resolves to src/ without a build) and
// `--expose-gc` (the leak tests call `gc()`). Output goes through scripts/compact-reporter.mjs:
// failures in full, one line per folder, then `tests: N passed, N failed, N skipped`.
//
//   npm test                      every *.test.ts under test/
//   npm test -- test/memory       only the files under the given folders or files
//   npm test -- test/memory --test-reporter=spec   node's own reporter instead
//
// Node 20's runner does not take glob patterns, so this script finds the files itself.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function collect(path, out) {
  const stat = statSync(path);
  if (stat.isFile()) {
    if (path.endsWith('.test.ts')) out.push(path);
    return out;
  }
  for (const name of readdirSync(path).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    collect(join(path, name), out);
  }
  return out;
}

const targets = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('--'));
const files = (targets.length > 0 ? targets : ['test']).flatMap((t) => collect(join(root, t), []));
if (files.length === 0) {
  console.error('run-tests: no *.test.ts files found under', targets.join(', ') || 'test/');
  process.exit(1);
}

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const reporter = passThrough.some((a) => a.startsWith('--test-reporter'))
  ? []
  : [
      `--test-reporter=${new URL('compact-reporter.mjs', import.meta.url).href}`,
      '--test-reporter-destination=stdout',
    ];
const args = [
  '--expose-gc',
  '--conditions=source',
  '--import',
  'tsx',
  '--test',
  `--test-concurrency=${concurrency}`,
  ...reporter,
  ...passThrough,
  ...files.map((f) => relative(root, f)),
];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
