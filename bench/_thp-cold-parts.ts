// What a cold read costs, part by part (ranks 30,001-100,000 of the tiered-memory-hit trace,
// fresh key strings): hash only, has() (hash + index probe + key compare in the arena),
// getString() (+ entry decode), JSON.parse(getString()), and lru-cache's get; rounds alternate
// the parts. TIERCACHE_HUGEPAGES decides the slabs' pages.
import { LRUCache } from 'lru-cache';
import { MemoryStore } from 'tiercache/memory';
import { median } from './_harness.ts';

const rounds = Number(process.argv[2] ?? 9);
const keyCount = 100_000;
const KEYS = Array.from({ length: keyCount }, (_, i) => `user:${100_000 + i}`);
const value = (i: number) => ({
  id: i,
  name: `user ${i}`,
  email: `u${i}@example.com`,
  score: i * 7,
});
const cdf = new Float64Array(keyCount);
let sum = 0;
for (let i = 0; i < keyCount; i++) cdf[i] = sum += 1 / (i + 1);
let seed = 12345;
const TRACE: string[] = [];
for (let n = 0; n < 1 << 20; n++) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  const target = (seed / 2 ** 32) * sum;
  let lo = 0;
  let hi = keyCount - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= 30_000) TRACE.push(`user:${100_000 + lo}`);
}
const store = new MemoryStore({ name: 'parts', maxBytes: 256 * 2 ** 20, budget: null });
const lru = new LRUCache<string, object>({ max: keyCount * 2 });
for (let i = 0; i < keyCount; i++) {
  store.set(KEYS[i]!, JSON.stringify(value(i)));
  lru.set(KEYS[i]!, value(i));
}
let sink = 0;
const ONE = JSON.stringify(value(54_321));
const parts: Record<string, (key: string) => void> = {
  hashOf: (k) => {
    sink += store.hashOf(k);
  },
  has: (k) => {
    if (store.has(k)) sink++;
  },
  getString: (k) => {
    sink += store.getString(k)!.length;
  },
  'JSON.parse(getString)': (k) => {
    sink += (JSON.parse(store.getString(k)!) as { id: number }).id;
  },
  'JSON.parse(one string)': () => {
    sink += (JSON.parse(ONE) as { id: number }).id;
  },
  'lru-cache get': (k) => {
    if (lru.get(k) !== undefined) sink++;
  },
};
let cursor = 0;
function nsPerOp(fn: (key: string) => void): number {
  const n = 100_000;
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn(TRACE[cursor++ % TRACE.length]!);
  const t = process.cpuUsage(t0);
  return ((t.user + t.system) * 1000) / n;
}
const samples: Record<string, number[]> = {};
for (const name of Object.keys(parts)) {
  nsPerOp(parts[name]!);
  samples[name] = [];
}
for (let r = 0; r < rounds; r++)
  for (const name of Object.keys(parts)) samples[name]!.push(nsPerOp(parts[name]!));
console.log(
  JSON.stringify({
    env: process.env.TIERCACHE_HUGEPAGES ?? 'default',
    ...Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.round(median(v))])),
    sink: sink !== 0,
  }),
);
process.exit(0);
