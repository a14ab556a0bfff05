/**
 * Scenario (2): `getMany` of 100 and 1,000 keys that are all in Redis and not in memory. Every
 * library is set up Redis-only (so each call really reads Redis) against one private
 * redis-server; values are JSON objects of ~100 bytes written through each library. Latency per
 * call, median and p99 over `--calls` calls, alternatives interleaved call by call; raw ioredis
 * `MGET` + JSON.parse is the baseline. bentocache has no batch read: it gets one `get` per key.
 *
 *   npm run bench -- tiered-get-many [--calls 200]
 */
import { startRedisServer } from '../test/helpers/redis-server.ts';
import { argNumber, fmt, machineLine, median, percentile, printTable } from './_harness.ts';
import { contenders } from './_tiered-contenders.ts';

const calls = argNumber('--calls', 200);
const value = (i: number) => ({
  id: i,
  name: `user ${i}`,
  email: `u${i}@example.com`,
  score: i * 7,
});

const server = await startRedisServer();
try {
  const libs = contenders.map((make) =>
    make({ host: '127.0.0.1', port: server.port, prefix: 'bench-many', memory: false }),
  );
  const rows: string[][] = [];
  for (const size of [100, 1000]) {
    const keys = Array.from({ length: size }, (_, i) => `user:${200_000 + i}`);
    for (const lib of libs) for (let i = 0; i < size; i++) await lib.set(keys[i]!, value(i));
    for (const lib of libs) {
      const got = await lib.getMany(keys);
      if ((got[size - 1] as { id: number } | undefined)?.id !== size - 1) {
        throw new Error(`${lib.name} did not read back what it wrote`);
      }
    }
    const times = new Map<string, number[]>(libs.map((lib) => [lib.name, []]));
    for (let c = 0; c < calls; c++) {
      for (const lib of libs) {
        const t0 = performance.now();
        await lib.getMany(keys);
        times.get(lib.name)!.push(performance.now() - t0);
      }
    }
    const base = median(times.get('ioredis (raw)')!);
    for (const lib of libs) {
      const t = times.get(lib.name)!;
      rows.push([
        String(size),
        lib.name,
        fmt(median(t) * 1000),
        fmt(percentile(t, 99) * 1000),
        `${fmt(median(t) / base, 2)}×`,
      ]);
    }
  }
  printTable(['keys', 'library (all in Redis)', 'median µs', 'p99 µs', '× raw MGET'], rows);
  console.log('\ntarget: tiercache ≤ 1.3× raw MGET');
  console.log(`${calls} interleaved calls per size · ${machineLine()}`);
  for (const lib of libs) await lib.close();
} finally {
  await server.kill();
}
process.exit(0);
