/**
 * RSS of a process, read from outside with `ps -o rss=`, before a set of stores is created,
 * while it is open and 10 s after it is closed, for each way of obtaining chunk memory. The
 * process is test/memory/rss-child.ts (the same one the rss-*.test.ts files run), which keeps a
 * small store busy throughout, as a service would, and never calls gc().
 *
 *   npm run bench -- arena-rss [--scenario closed-stores|store-churn|both] [--rounds 2]
 *
 * Configurations: one malloc'd Buffer per chunk (the arena before the slab pool), that with
 * glibc's `MALLOC_MMAP_THRESHOLD_` fixed, resizable slabs without the reclaim (what runs when the
 * native helper cannot be built), mapped slabs with the reclaim (the default with the helper),
 * and one Buffer per chunk with the reclaim. Each configuration runs in a process of its own,
 * one after another; `--only <text>` runs the configurations whose name contains it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { argNumber, argValue, machineLine, printTable } from './_harness.ts';

const CONFIGS: readonly { name: string; env: Record<string, string> }[] = [
  { name: 'Buffer per chunk', env: { TIERCACHE_ARENA: 'buffers', TIERCACHE_RECLAIM: 'off' } },
  {
    name: 'Buffer per chunk + MALLOC_MMAP_THRESHOLD_=131072',
    env: {
      TIERCACHE_ARENA: 'buffers',
      TIERCACHE_RECLAIM: 'off',
      MALLOC_MMAP_THRESHOLD_: '131072',
    },
  },
  {
    name: 'resizable slabs, no reclaim (no helper)',
    env: { TIERCACHE_ARENA: 'slabs', TIERCACHE_RECLAIM: 'off' },
  },
  { name: 'mapped slabs + reclaim (default)', env: { TIERCACHE_ARENA: 'mapped' } },
  { name: 'Buffer per chunk + reclaim', env: { TIERCACHE_ARENA: 'buffers' } },
];

const AFTER_MS = 10_000;

function psRssMiB(pid: number): number {
  const out = spawnSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).stdout;
  return Number(out.trim()) / 1024;
}

async function run(scenario: string, rounds: number, env: Record<string, string>) {
  const script = new URL('../test/memory/rss-child.ts', import.meta.url).pathname;
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', script, scenario, String(rounds)],
    { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'ignore'] },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const pid = child.pid!;
  const next = async () => JSON.parse((await lines.next()).value as string) as { phase: string };
  await next();
  const before = psRssMiB(pid);
  const results: { open: number; after: number }[] = [];
  child.stdin.write('next\n');
  for (let round = 0; round < rounds; round++) {
    await next();
    const open = psRssMiB(pid);
    child.stdin.write('next\n');
    await next();
    await sleep(AFTER_MS);
    results.push({ open, after: psRssMiB(pid) });
    child.stdin.write('next\n');
  }
  child.kill();
  return { before, results };
}

const which = argValue('--scenario') ?? 'both';
const rounds = argNumber('--rounds', 2);
const scenarios = which === 'both' ? ['closed-stores', 'store-churn'] : [which];
console.log(machineLine());
for (const scenario of scenarios) {
  console.log(`\n${scenario}: RSS in MiB (ps -o rss=), ${AFTER_MS / 1000} s after closing`);
  const rows: string[][] = [];
  const only = argValue('--only');
  for (const config of CONFIGS.filter((c) => only === undefined || c.name.includes(only))) {
    const { before, results } = await run(scenario, rounds, config.env);
    const row = [config.name, before.toFixed(0)];
    for (const r of results) {
      row.push(r.open.toFixed(0), r.after.toFixed(0), `${(r.after / before).toFixed(2)}x`);
    }
    rows.push(row);
    console.error(`  done: ${config.name}`);
  }
  const headers = ['chunk memory', 'before'];
  for (let r = 1; r <= rounds; r++) headers.push(`open ${r}`, `closed ${r}`, `closed/before ${r}`);
  printTable(headers, rows);
}
