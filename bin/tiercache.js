#!/usr/bin/env node
// Launches the `tiercache` CLI. In a checkout (src/ beside this file) it runs the TypeScript
// source through tsx, so the command never lags behind the code; in an installed package (no
// src/) it runs the build in dist/. TIERCACHE_CLI_FROM=dist or =src forces one.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const build = new URL('../dist/cli/main.js', import.meta.url);
const from = process.env.TIERCACHE_CLI_FROM ?? (existsSync(source) ? 'src' : 'dist');

if (from === 'src') {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else if (existsSync(build)) {
  await import(build.href);
} else {
  console.error('tiercache: dist/cli/main.js is missing; run `npm run build` first');
  process.exitCode = 1;
}
