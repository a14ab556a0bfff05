#!/usr/bin/env node
// `npm run prepare`: builds dist/ with tsc. npm runs it after `npm ci` / `npm install` in a
// checkout, before `npm pack`, and when another project installs tiercache from a git URL or a
// path (`npm install ../tiercache`).
//
// A path install links the folder as it is, without installing its devDependencies, so a fresh
// clone has no TypeScript to build with. In that case this script first installs the clone's
// own dependencies (`--ignore-scripts`, so it does not come back here), then builds: the same
// steps npm takes for a git dependency.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));

function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(`tiercache prepare: \`${command} ${args.join(' ')}\` failed in ${root}`);
    process.exit(result.status ?? 1);
  }
}

if (!existsSync(tsc)) {
  console.error('tiercache prepare: no TypeScript in this folder; installing its devDependencies');
  // The npm that runs this script passes its own settings as npm_config_* variables (the
  // consumer's `--save`, `--global`, its prefix...). Keep only those about where packages come
  // from, so the nested install acts on this folder alone.
  const keep = new Set([
    'npm_config_cache',
    'npm_config_registry',
    'npm_config_userconfig',
    'npm_config_globalconfig',
    'npm_config_offline',
    'npm_config_prefer_offline',
    'npm_config_prefer_online',
    'npm_config_cafile',
    'npm_config_nodedir',
  ]);
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.toLowerCase().startsWith('npm_config_') || keep.has(k.toLowerCase()),
    ),
  );
  const npm = process.env.npm_execpath;
  const [command, prefix] = npm?.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
  run(
    command,
    [
      ...prefix,
      'install',
      '--include=dev',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--no-save',
    ],
    env,
  );
}

run(process.execPath, [tsc, '-p', 'tsconfig.build.json']);
