// Huge-page A/B for cold reads: runs bench/_thp-cold-child.ts in separate processes, the
// variants rotated (each pair's order alternates), and prints the medians of per-process
// medians, wall and CPU ns per read.
//   node --conditions=source --import tsx bench/_thp-cold-reads.ts [pairs] [rounds] [ms]
import { spawnSync } from 'node:child_process';
import { median } from './_harness.ts';

const pairs = Number(process.argv[2] ?? 8);
const rounds = Number(process.argv[3] ?? 5);
const ms = Number(process.argv[4] ?? 300);
const VARIANTS: Record<string, Record<string, string>> = {
  'slabs 4 KiB pages (TIERCACHE_HUGEPAGES=off)': { TIERCACHE_HUGEPAGES: 'off' },
  'slabs huge pages (default)': {},
  'slabs huge + malloc THP (GLIBC_TUNABLES hugetlb=1)': {
    GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1',
  },
  'slabs 4 KiB + malloc THP': {
    TIERCACHE_HUGEPAGES: 'off',
    GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1',
  },
};
const names = Object.keys(VARIANTS).filter(
  (n) => !process.env.ONLY || n.includes(process.env.ONLY),
);
const results = new Map<string, { wall: number[]; cpu: number[]; huge: number[] }>(
  names.map((n) => [n, { wall: [], cpu: [], huge: [] }]),
);
for (let p = 0; p < pairs; p++) {
  const order = names.map((_, i) => names[(i + p) % names.length]!);
  for (const name of order) {
    const out = spawnSync(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        'bench/_thp-cold-child.ts',
        String(rounds),
        String(ms),
      ],
      { env: { ...process.env, ...VARIANTS[name] }, encoding: 'utf8' },
    );
    if (out.status !== 0) throw new Error(out.stderr);
    const line = JSON.parse(out.stdout.trim().split('\n').pop()!);
    const r = results.get(name)!;
    r.wall.push(median(line.wall));
    r.cpu.push(median(line.cpu));
    r.huge.push(line.anonHugeKiB);
    console.error(
      `${p} ${name}: wall ${median(line.wall).toFixed(0)} cpu ${median(line.cpu).toFixed(0)} huge ${line.anonHugeKiB} KiB rss ${line.rssKiB}`,
    );
  }
}
for (const [name, r] of results) {
  console.log(
    `${name}: wall ${median(r.wall).toFixed(0)} ns/read, CPU ${median(r.cpu).toFixed(0)} ns/read, AnonHugePages ${median(r.huge)} KiB (${pairs} processes)`,
  );
}
