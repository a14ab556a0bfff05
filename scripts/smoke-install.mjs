#!/usr/bin/env node
// Installs tiercache the way a user does, into a new project in a temporary folder, and runs
// the consumer checks of test/package/consumer/ against it:
//
//   node scripts/smoke-install.mjs                 `npm pack`, then install the tarball
//   node scripts/smoke-install.mjs --from=path     `git clone` the commit, then `npm install <clone>`
//   node scripts/smoke-install.mjs --keep          leave the temporary folder for a look
//
// Checks: the tarball holds every file package.json's `exports` and `bin` name, no source map
// pointing at a missing file and no declaration importing an optional package; `tsc`
// type-checks consumer.ts against the installed declarations;
// smoke.mjs (ESM) runs every subpath, a TieredCache over the local Redis (REDIS_URL) and the
// prom-client-less /metrics; the `tiercache` command starts. The project gets ioredis and
// nothing else (no prom-client, no msgpackr). Exits non-zero, loudly, on the first failure.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const from =
  process.argv.find((a) => a.startsWith('--from='))?.slice('--from='.length) ?? 'tarball';
const keep = process.argv.includes('--keep');
if (from !== 'tarball' && from !== 'path') {
  console.error(`smoke-install: --from must be tarball or path, got ${from}`);
  process.exit(2);
}

// The npm running `npm test` exports its settings as npm_config_* (its prefix among them): a
// nested npm would act on this checkout. Keep only where packages come from.
const KEEP = ['cache', 'registry', 'userconfig', 'globalconfig', 'cafile', 'nodedir'];
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => {
    const key = k.toLowerCase();
    return !key.startsWith('npm_config_') || KEEP.includes(key.slice('npm_config_'.length));
  }),
);
const npmCli = process.env.npm_execpath?.endsWith('.js') ? process.env.npm_execpath : undefined;

/** Thrown by {@link fail}: caught below, after the temporary folder is removed. */
class SmokeFailure extends Error {}

function fail(message) {
  throw new SmokeFailure(message);
}

function run(step, command, args, cwd) {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) {
    fail(
      `${step}: \`${[command, ...args].join(' ')}\` in ${cwd} exited ${result.status}\n${output}`,
    );
  }
  console.log(`smoke-install: ${step} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return result.stdout;
}

function npm(step, args, cwd) {
  return npmCli ? run(step, process.execPath, [npmCli, ...args], cwd) : run(step, 'npm', args, cwd);
}

function listFiles(dir, base = dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) listFiles(path, base, out);
    else out.push(relative(base, path));
  }
  return out;
}

/** Every file package.json promises is in `files`, and no source map points at a missing file. */
function checkPackedFiles(unpacked) {
  const files = new Set(listFiles(unpacked));
  const manifest = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8'));
  const promised = Object.values(manifest.bin ?? {});
  for (const target of Object.values(manifest.exports)) {
    if (typeof target === 'string') promised.push(target);
    else
      for (const [condition, path] of Object.entries(target)) {
        if (condition !== 'source') promised.push(path);
      }
  }
  const missing = promised.map((p) => p.replace(/^\.\//, '')).filter((p) => !files.has(p));
  if (missing.length > 0)
    fail(`the package lacks files its package.json names: ${missing.join(', ')}`);
  // A declaration file may only import what every user has: Node's modules, dependencies and
  // required peers. An optional peer's types (prom-client, msgpackr) would break `tsc` for users
  // without it (with skipLibCheck off), so they are declared structurally instead.
  const optional = Object.entries(manifest.peerDependenciesMeta ?? {})
    .filter(([, meta]) => meta.optional)
    .map(([name]) => name);
  const allowed = new Set([
    ...builtinModules,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}).filter((name) => !optional.includes(name)),
    // The type of TieredCache's `redis` option: a user without ioredis needs skipLibCheck
    // (the default of `tsc --init`), as README's Install section says.
    'ioredis',
  ]);
  for (const file of files) {
    if (!file.endsWith('.d.ts')) continue;
    const text = readFileSync(join(unpacked, file), 'utf8');
    for (const [, spec] of text.matchAll(/(?:from |import\()['"]([^'"./][^'"]*)['"]/g)) {
      const name = spec.startsWith('@')
        ? spec.split('/').slice(0, 2).join('/')
        : spec.split('/')[0];
      if (!name.startsWith('node:') && !allowed.has(name)) {
        fail(`${file} imports "${spec}", which a user may not have installed`);
      }
    }
  }
  for (const file of files) {
    if (/^(src|test|service|bench)\//.test(file)) fail(`the package ships ${file}`);
    if (!file.endsWith('.map')) continue;
    const map = JSON.parse(readFileSync(join(unpacked, file), 'utf8'));
    for (const source of map.sources ?? []) {
      const target = relative(
        unpacked,
        resolve(unpacked, dirname(file), map.sourceRoot ?? '', source),
      );
      if (!files.has(target)) fail(`${file} points at ${target}, which is not in the package`);
    }
  }
  console.log(
    `smoke-install: the package holds its ${promised.length} promised files (${files.size} in all)`,
  );
}

const work = mkdtempSync(join(tmpdir(), 'tiercache-smoke-'));
try {
  let spec;
  if (from === 'tarball') {
    const packed = JSON.parse(
      npm(
        'npm pack (builds dist/ on prepare)',
        ['pack', '--json', '--pack-destination', work],
        root,
      ),
    );
    spec = join(work, packed[0].filename);
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    run('unpack the tarball', 'tar', ['xzf', spec, '-C', unpacked, '--strip-components=1'], work);
    checkPackedFiles(unpacked);
  } else {
    spec = join(work, 'clone');
    run('git clone', 'git', ['clone', '--quiet', '--no-hardlinks', root, spec], work);
  }

  const project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'tiercache-smoke', private: true, type: 'module' }, null, 2)}\n`,
  );
  cpSync(join(root, 'test/package/consumer'), project, { recursive: true });
  npm(
    `npm install <${from}> ioredis@5`,
    ['install', '--prefer-offline', '--no-audit', '--no-fund', spec, 'ioredis@5'],
    project,
  );
  for (const absent of ['prom-client', 'msgpackr']) {
    if (existsSync(join(project, 'node_modules', absent)))
      fail(`${absent} was installed; it must stay optional`);
  }
  // tsc and Node's types come from this checkout, so the consumer installs nothing more.
  mkdirSync(join(project, 'node_modules/@types'), { recursive: true });
  symlinkSync(join(root, 'node_modules/@types/node'), join(project, 'node_modules/@types/node'));
  run(
    'tsc on consumer.ts (NodeNext)',
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
    project,
  );
  // A path install links the clone, which resolves its own devDependencies (prom-client among
  // them); a tarball install has only what the project installed.
  env.SMOKE_PROM_CLIENT = from === 'path' ? 'present' : 'missing';
  const smoke = run('node smoke.mjs (ESM, local Redis)', process.execPath, ['smoke.mjs'], project);
  if (!smoke.includes('smoke: ok')) fail(`smoke.mjs did not finish:\n${smoke}`);
  const help = run(
    'the tiercache command',
    process.execPath,
    ['node_modules/.bin/tiercache', '--help'],
    project,
  );
  if (!/memstats/.test(help)) fail(`tiercache --help printed no command list:\n${help}`);
  console.log(`smoke-install: ok (installed from a ${from})`);
} catch (err) {
  if (!(err instanceof SmokeFailure)) throw err;
  console.error(`\nsmoke-install: FAILED: ${err.message}\n`);
  process.exitCode = 1;
} finally {
  if (keep) console.log(`smoke-install: left ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
