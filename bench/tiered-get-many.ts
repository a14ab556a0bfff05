/**
 * Scenario (2): `getMany` of 100 and 1,000 keys that are all in Redis and not in memory, against
 * one private redis-server; values are JSON objects of ~100 bytes written through each library.
 * Latency per call, median and p99 over `--calls` calls, alternatives interleaved call by call;
 * raw ioredis `MGET` + `JSON.parse` is the baseline.
 *
 * tiercache rows:
 * - `memory: false`: Redis only, nothing to back-fill.
 * - fresh instance: a new TieredCache (memory on, its own empty store) for every call, so the
 *   call pays the back-fill into a store that has never grown; building and closing the cache
 *   are outside the timing.
 * - warm instance: one TieredCache over a store that already holds 20,000 other entries; the
 *   call's keys are dropped from memory (untimed) before each call, so every call reads Redis
 *   and back-fills into grown shards.
 * Both memory rows run without the bus (a bus subscription landing mid-call clears memory, which
 * would skip the back-fill this row measures). The other libraries run Redis-only;
 * bentocache has no batch read: it gets one `get` per key.
 *
 * The fresh instance's store takes its chunks from the slab pool's resident reserve (the pages
 * the previous instance freed, kept resident up to 1 MiB while the pool is busy), so it pays no
 * page faults here; a process's first store, or one created after the pool has been idle for
 * ~0.5 s, still faults in every page it writes. `TIERCACHE_ARENA=buffers` in the environment
 * shows the same rows with malloc'd chunks.
 *
 *   npm run bench -- tiered-get-many [--calls 200] [--sizes 100,1000]
 */
import { Redis } from 'ioredis';
import { TieredCache } from 'tiercache';
import { MemoryStore } from 'tiercache/memory';
import { startRedisServer } from '../test/helpers/redis-server.ts';
import {
  argNumber,
  argValue,
  fmt,
  machineLine,
  median,
  percentile,
  printTable,
} from './_harness.ts';
import { type Contender, contenders } from './_tiered-contenders.ts';

const calls = argNumber('--calls', 200);
const sizes = (argValue('--sizes') ?? '100,1000').split(',').map(Number);
const value = (i: number) => ({
  id: i,
  name: `user ${i}`,
  email: `u${i}@example.com`,
  score: i * 7,
});
const TTL_MS = 600_000;

const server = await startRedisServer();
const client = new Redis({ host: '127.0.0.1', port: server.port });
client.on('error', () => {});
try {
  const libs: Contender[] = contenders.map((make) =>
    make({ host: '127.0.0.1', port: server.port, prefix: 'bench-many', memory: false }),
  );
  // The fresh-instance and warm-instance rows share one name, so they read the same Redis keys.
  const name = 'bench-many-mem';
  const fresh: Contender = {
    name: 'tiercache, fresh instance',
    get: () => Promise.reject(new Error('unused')),
    getMany: () => Promise.reject(new Error('unused')),
    set: async (key, v) => {
      const cache = new TieredCache<unknown>({ name, redis: client, bus: false, ttlMs: TTL_MS });
      await cache.set(key, v);
      await cache.close();
    },
    getOrLoad: () => Promise.reject(new Error('unused')),
    close: async () => {},
  };
  const warmStore = new MemoryStore({ name: 'bench-many-warm', maxBytes: 64 * 2 ** 20 });
  for (let i = 0; i < 20_000; i++) warmStore.set(`other:${i}`, JSON.stringify(value(i)));
  const warm = new TieredCache<unknown>({
    name,
    redis: client,
    memory: warmStore,
    bus: false,
    ttlMs: TTL_MS,
  });
  const rows: string[][] = [];
  for (const size of sizes) {
    const keys = Array.from({ length: size }, (_, i) => `user:${200_000 + i}`);
    for (const lib of [...libs, fresh]) {
      for (let i = 0; i < size; i++) await lib.set(keys[i]!, value(i));
    }
    const runs: Array<
      [string, () => Promise<unknown[]>, (() => void) | null, () => Promise<void>]
    > = libs.map((lib) => [
      lib.name === 'tiercache' ? 'tiercache, memory: false' : lib.name,
      () => lib.getMany(keys),
      null,
      async () => {},
    ]);
    let instance: TieredCache<unknown> | null = null;
    runs.push([
      'tiercache, fresh instance',
      () => instance!.getMany(keys),
      () => {
        instance = new TieredCache<unknown>({ name, redis: client, bus: false, ttlMs: TTL_MS });
      },
      async () => {
        await instance!.close();
      },
    ]);
    runs.push([
      'tiercache, warm instance',
      () => warm.getMany(keys),
      () => {
        for (const key of keys) warmStore.delete(`${name}:${key}`);
      },
      async () => {},
    ]);
    for (const [label, read, before, after] of runs) {
      before?.();
      const got = await read();
      await after();
      if ((got[size - 1] as { id: number } | undefined)?.id !== size - 1) {
        throw new Error(`${label} did not read back what it wrote`);
      }
    }
    const times = new Map<string, number[]>(runs.map(([label]) => [label, []]));
    for (let c = 0; c < calls; c++) {
      // The order rotates from call to call: a row's time includes the garbage collections that
      // the rows before it bring due, so a fixed order charges one row for others' garbage (in a
      // fixed order under load, raw MGET read 2.9-3.3 ms here against 1.2 ms in a harness of
      // its own, and every ratio to it looked better than it is).
      for (let r = 0; r < runs.length; r++) {
        const [label, read, before, after] = runs[(c + r) % runs.length]!;
        before?.();
        const t0 = performance.now();
        await read();
        times.get(label)!.push(performance.now() - t0);
        await after();
      }
    }
    const base = median(times.get('ioredis (raw)')!);
    for (const [label] of runs) {
      const t = times.get(label)!;
      rows.push([
        String(size),
        label,
        fmt(median(t) * 1000),
        fmt(percentile(t, 99) * 1000),
        `${fmt(median(t) / base, 2)}×`,
      ]);
    }
  }
  printTable(['keys', 'library (all in Redis)', 'median µs', 'p99 µs', '× raw MGET'], rows);
  console.log('\ntarget: tiercache, fresh instance (memory on) ≤ 1.3× raw MGET + JSON.parse');
  console.log(`${calls} interleaved calls per size, row order rotated · ${machineLine()}`);
  for (const lib of libs) await lib.close();
  await warm.close();
  warmStore.close();
} finally {
  client.disconnect();
  await server.kill();
}
process.exit(0);
