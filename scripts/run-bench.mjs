#!/usr/bin/env node
// Runs benchmark scenarios from bench/: each file is one scenario that prints its own
// side-by-side table with ratios.
//
//   npm run bench                 list the scenarios
//   npm run bench -- memory-store run bench/memory-store.ts (several names may be given)
//   npm run bench -- all          run every scenario, one after another
//
// Scenarios run with `--expose-gc` (they measure full-GC pauses) and the `source` condition,
// so they measure the code in src/ without a build.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const available = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

// Scenario names come first; everything from the first `--flag` on is passed to each scenario.
const argv = process.argv.slice(2);
const firstFlag = argv.findIndex((a) => a.startsWith('--'));
const names = firstFlag < 0 ? argv : argv.slice(0, firstFlag);
const flags = firstFlag < 0 ? [] : argv.slice(firstFlag);
const [first, ...rest] = names;
if (!first) {
  console.log('usage: npm run bench -- <scenario...> | all\n\nscenarios:');
  for (const name of available) console.log(`  ${name}`);
  process.exit(0);
}
const chosen = first === 'all' ? available : [first, ...rest];
for (const name of chosen) {
  if (!available.includes(name)) {
    console.error(`run-bench: no scenario "${name}" in bench/ (have: ${available.join(', ')})`);
    process.exit(2);
  }
}
for (const name of chosen) {
  console.log(`\n## ${name}\n`);
  const result = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '--conditions=source',
      '--import',
      'tsx',
      join(root, 'bench', `${name}.ts`),
      ...flags,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
}
