// Huge-page A/B for cold reads in one process: cache A is filled while TIERCACHE_HUGEPAGES=off
// (its slabs are mapped with 4 KiB pages), then cache B with huge pages; rounds alternate
// A and B over the same cold-key trace (ranks 30,001-100,000 of the tiered-memory-hit trace).
//   node --conditions=source --import tsx bench/_thp-cold-inproc.ts [rounds] [ms]
import { readFileSync } from 'node:fs';
import { TieredCache } from 'tiercache';
import { allocatorReport } from 'tiercache/memory';
import { median } from './_harness.ts';

const rounds = Number(process.argv[2] ?? 20);
const ms = Number(process.argv[3] ?? 200);
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
  for (let i = 0; i < keyCount; i++) cdf[i] = sum += 1 / (i + 1);
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
const TRACE = Array.from(
  zipfRanks(1 << 20).filter((r) => r >= 30_000),
  (r) => `user:${100_000 + r}`,
);
function hugeKiB(): number {
  return Number(
    /AnonHugePages:\s+(\d+)/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))?.[1] ?? 0,
  );
}
async function make(name: string, huge: boolean): Promise<TieredCache<unknown>> {
  process.env.TIERCACHE_HUGEPAGES = huge ? 'on' : 'off';
  const cache = new TieredCache<unknown>({
    name,
    redis: false,
    memory: { maxBytes: 256 * 2 ** 20, budget: null },
    ttlMs: 600_000,
    memoryTtlMs: 0,
  });
  for (let i = 0; i < keyCount; i++) await cache.set(KEYS[i]!, value(i));
  const a = allocatorReport().arena;
  console.log(
    `${name}: filled; slabs ${a.slabs}, leased ${a.leasedBytes}, committed ${a.committedBytes}, AnonHugePages ${hugeKiB()} KiB`,
  );
  return cache;
}
const order = process.env.HUGE_FIRST === '1';
const first = await make(order ? 'huge' : '4k', order);
const second = await make(order ? '4k' : 'huge', !order);
const caches = { [first.name]: first, [second.name]: second } as Record<
  string,
  TieredCache<unknown>
>;
let cursor = 0;
async function measure(cache: TieredCache<unknown>): Promise<[number, number]> {
  let ops = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 1024; i++)
      await cache.get(TRACE[cursor++ % TRACE.length]!, { read: 'fast' });
    ops += 1024;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  return [((now - start) * 1e6) / ops, ((cpu.user + cpu.system) * 1e3) / ops];
}
const wall: Record<string, number[]> = { '4k': [], huge: [] };
const cpu: Record<string, number[]> = { '4k': [], huge: [] };
await measure(caches['4k']!);
await measure(caches.huge!);
for (let r = 0; r < rounds; r++) {
  for (const name of r % 2 ? ['4k', 'huge'] : ['huge', '4k']) {
    const [w, c] = await measure(caches[name]!);
    wall[name]!.push(w);
    cpu[name]!.push(c);
  }
}
for (const name of ['4k', 'huge']) {
  console.log(
    `${name}: wall ${median(wall[name]!).toFixed(0)} ns/read, CPU ${median(cpu[name]!).toFixed(0)} ns/read`,
  );
}
const ratioW = wall.huge!.map((w, i) => w / wall['4k']![i]!);
const ratioC = cpu.huge!.map((c, i) => c / cpu['4k']![i]!);
console.log(
  `huge/4k per round: wall median ${median(ratioW).toFixed(3)}, CPU median ${median(ratioC).toFixed(3)} (${rounds} rounds)`,
);
process.exit(0);
