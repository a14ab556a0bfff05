// One process of the huge-page cold-read harness (bench/_thp-cold-reads.ts): a TieredCache
// (memory only, JSON codec, no hot set) holding 100,000 keys; measures reads of the Zipf
// trace's cold keys only (ranks 30,001-100,000 of the tiered-memory-hit trace), then prints one
// JSON line: ns per read (wall and CPU) per round, and AnonHugePages of the process.
import { readFileSync } from 'node:fs';
import { TieredCache } from 'tiercache';
import { allocatorReport } from 'tiercache/memory';

const rounds = Number(process.argv[2] ?? 5);
const ms = Number(process.argv[3] ?? 300);
const keyCount = 100_000;
const KEYS = Array.from({ length: keyCount }, (_, i) => `user:${100_000 + i}`);
const value = (i: number) => ({
  id: i,
  name: `user ${i}`,
  email: `u${i}@example.com`,
  score: i * 7,
});

function zipfRanks(count: number): Int32Array {
  const cdf = new Float64Array(keyCount);
  let sum = 0;
  for (let i = 0; i < keyCount; i++) {
    sum += 1 / (i + 1);
    cdf[i] = sum;
  }
  let seed = 12345;
  const out = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const target = (seed / 2 ** 32) * sum;
    let lo = 0;
    let hi = keyCount - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    out[n] = lo;
  }
  return out;
}
// Cold keys only: fresh key strings, as the bench's trace holds (one string per draw).
const ranks = zipfRanks(1 << 20).filter((r) => r >= 30_000);
const TRACE = Array.from(ranks, (r) => `user:${100_000 + r}`);

const cache = new TieredCache<unknown>({
  name: 'thp-cold',
  redis: false,
  memory: { maxBytes: 256 * 2 ** 20, budget: null },
  ttlMs: 600_000,
  memoryTtlMs: 0,
});
for (let i = 0; i < keyCount; i++) await cache.set(KEYS[i]!, value(i));
let cursor = 0;
async function nsPerRead(): Promise<[number, number]> {
  let ops = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 1024; i++) {
      if ((await cache.get(TRACE[cursor++ % TRACE.length]!, { read: 'fast' })) === undefined)
        throw new Error('miss');
    }
    ops += 1024;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  return [((now - start) * 1e6) / ops, ((cpu.user + cpu.system) * 1e3) / ops];
}
await nsPerRead();
const wall: number[] = [];
const cpu: number[] = [];
for (let r = 0; r < rounds; r++) {
  const [w, c] = await nsPerRead();
  wall.push(w);
  cpu.push(c);
}
const smaps = readFileSync('/proc/self/smaps_rollup', 'utf8');
const anonHugeKiB = Number(/AnonHugePages:\s+(\d+)/.exec(smaps)?.[1] ?? 0);
const rssKiB = Number(/Rss:\s+(\d+)/.exec(smaps)?.[1] ?? 0);
const arena = allocatorReport().arena;
process.stdout.write(
  `${JSON.stringify({ env: process.env.TIERCACHE_HUGEPAGES ?? 'default', tunables: process.env.GLIBC_TUNABLES ?? '', wall, cpu, anonHugeKiB, rssKiB, committed: arena.committedBytes, slabs: arena.slabs, distinct: new Set(TRACE).size, reads: TRACE.length })}\n`,
);
await cache.close();
process.exit(0);
