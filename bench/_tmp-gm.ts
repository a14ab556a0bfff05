import { Redis } from 'ioredis';
import { TieredCache } from 'tiercache';
const client = new Redis({ host: '127.0.0.1', port: 6379 });
const name = `hp-tmp-${process.pid}`;
const keys = Array.from({ length: 1000 }, (_, i) => `user:${200000 + i}`);
const seed = new TieredCache<unknown>({ name, redis: client, bus: false, ttlMs: 600000, memory: false });
await seed.setMany(keys.map((k, i) => [k, { id: i, name: `user ${i}`, email: `u${i}@example.com`, score: i * 7 }] as const));
const full = keys.map((k) => `${name}:${k}`);
const raw: number[] = [], fresh: number[] = [], off: number[] = [];
const mode = process.argv[2] ?? 'all';
for (let r = 0; r < Number(process.argv[3] ?? 150); r++) {
  let t0 = performance.now();
  const got = await client.mgetBuffer(full);
  for (const g of got) if (g) JSON.parse(g.toString("utf8", 11));
  raw.push(performance.now() - t0);
  if (mode !== 'fresh') {
    t0 = performance.now();
    await seed.getMany(keys);
    off.push(performance.now() - t0);
  }
  const c = new TieredCache<unknown>({ name, redis: client, bus: false, ttlMs: 600000 });
  t0 = performance.now();
  await c.getMany(keys);
  fresh.push(performance.now() - t0);
  await c.close();
}
const med = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1]!;
console.log('raw', med(raw).toFixed(2), 'off', off.length ? med(off).toFixed(2) : '-', 'fresh', med(fresh).toFixed(2), 'ratio', (med(fresh) / med(raw)).toFixed(2));
await client.del(...full);
client.disconnect();
process.exit(0);
