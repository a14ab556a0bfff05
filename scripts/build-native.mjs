#!/usr/bin/env node
// Builds tiercache's optional native helper (native/malloc-binding.cc -> build/tiercache-malloc.node)
// with the system C++ compiler and the headers of the running Node. Runs at `npm install` /
// `npm ci`; when anything is missing (no compiler, no headers, not Linux) it says so in one
// line and exits 0: the library then runs without it (see docs/memory-store.md, "Giving memory
// back"). Set TIERCACHE_SKIP_NATIVE=1 to skip the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const source = join(root, 'native', 'malloc-binding.cc');
const output = join(root, 'build', 'tiercache-malloc.node');

function skip(reason) {
  console.log(`tiercache: native memory helper not built (${reason}); running without it.`);
  process.exit(0);
}

if (process.env.TIERCACHE_SKIP_NATIVE) skip('TIERCACHE_SKIP_NATIVE is set');
if (process.platform !== 'linux') skip(`only built on Linux, this is ${process.platform}`);
if (!existsSync(source)) skip('native/malloc-binding.cc is not in the package');
const include = [
  join(dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
].find((dir) => existsSync(join(dir, 'node.h')));
if (include === undefined) skip("Node's headers (node.h) were not found");

mkdirSync(dirname(output), { recursive: true });
const compiler = process.env.CXX ?? 'c++';
const args = ['-O2', '-std=c++17', '-shared', '-fPIC', `-I${include}`, source, '-o', output];
const result = spawnSync(compiler, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (result.error) skip(`${compiler}: ${result.error.message}`);
if (result.status !== 0) {
  const first = (result.stderr ?? '').split('\n').find((line) => line.includes('error')) ?? '';
  skip(`${compiler} failed: ${first.trim() || `exit ${result.status}`}`);
}
console.log(`tiercache: built ${output.slice(root.length)}`);
