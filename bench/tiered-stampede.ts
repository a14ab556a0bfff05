/**
 * Scenario (3): cold-key stampede. 1,000 concurrent reads of one key that is in no tier, each
 * through the library's read-through call (tiercache `get` with its loader, bentocache
 * `getOrSet`, cache-manager `wrap`, cacheable `getOrSet`, raw ioredis GET-then-load-then-SET);
 * the loader takes `--loader-ms`. Counts loader calls (target: exactly 1) and the time until all
 * 1,000 reads have answered. Repeated `--rounds` times with a fresh key each round.
 *
 *   npm run bench -- tiered-stampede [--rounds 3] [--loader-ms 20]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedisServer } from '../test/helpers/redis-server.ts';
import { argNumber, fmt, machineLine, median, printTable } from './_harness.ts';
import { contenders } from './_tiered-contenders.ts';

const rounds = argNumber('--rounds', 3);
const loaderMs = argNumber('--loader-ms', 20);
const READERS = 1000;

let loaderCalls = 0;
const loadOne = async () => {
  loaderCalls++;
  await sleep(loaderMs);
  return { id: 1, name: 'the hot row' };
};

const server = await startRedisServer();
try {
  const libs = contenders.map((make) =>
    make({
      host: '127.0.0.1',
      port: server.port,
      prefix: 'bench-stampede',
      memory: true,
      // tiercache takes its loader at construction, as a batch function.
      load: async (keys) => Promise.all(keys.map(() => loadOne())),
    }),
  );
  const calls = new Map<string, number[]>(libs.map((lib) => [lib.name, []]));
  const times = new Map<string, number[]>(libs.map((lib) => [lib.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const lib of libs) {
      const key = `cold:${round}`;
      loaderCalls = 0;
      const t0 = performance.now();
      const values = await Promise.all(
        Array.from({ length: READERS }, () => lib.getOrLoad(key, loadOne)),
      );
      times.get(lib.name)!.push(performance.now() - t0);
      calls.get(lib.name)!.push(loaderCalls);
      if (!values.every((v) => (v as { id?: number } | undefined)?.id === 1)) {
        throw new Error(`${lib.name} returned a wrong value in the stampede`);
      }
    }
  }
  printTable(
    ['library', 'loader calls per 1000 reads (median)', 'all answered, ms (median)'],
    libs.map((lib) => [
      lib.name,
      fmt(median(calls.get(lib.name)!)),
      fmt(median(times.get(lib.name)!), 1),
    ]),
  );
  console.log(
    `\ntarget: exactly 1 loader call · loader ${loaderMs} ms · ${rounds} rounds · ${machineLine()}`,
  );
  for (const lib of libs) await lib.close();
} finally {
  await server.kill();
}
process.exit(0);
