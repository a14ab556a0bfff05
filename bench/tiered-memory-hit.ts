/**
 * Scenario (1): a read served from memory. Each library holds 1,000 hot keys (JSON objects of
 * ~100 bytes) in its memory tier in front of a private redis-server; the loop awaits `get` of a
 * hot key, round-robin, for `--ms` per round, alternatives interleaved over `--rounds` rounds.
 * lru-cache (sync, returns a stored reference) is the floor no async tiered cache reaches; the
 * stringCodec row is tiercache's hit without the JSON.parse that every byte store must pay.
 *
 *   npm run bench -- tiered-memory-hit [--ms 300] [--rounds 3]
 */
import { LRUCache } from 'lru-cache';
import { stringCodec, TieredCache } from 'tiercache';
import { startRedisServer } from '../test/helpers/redis-server.ts';
import { argNumber, fmt, machineLine, median, printTable } from './_harness.ts';
import { type Contender, contenders } from './_tiered-contenders.ts';

const ms = argNumber('--ms', 300);
const rounds = argNumber('--rounds', 3);
const KEYS = Array.from({ length: 1000 }, (_, i) => `user:${100_000 + i}`);
const value = (i: number) => ({
  id: i,
  name: `user ${i}`,
  email: `u${i}@example.com`,
  score: i * 7,
});

async function opsPerSecond(get: (key: string) => unknown): Promise<number> {
  let ops = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Batches of 1000 between clock reads keep the clock out of the figure.
    for (let i = 0; i < KEYS.length; i++) await get(KEYS[i]!);
    ops += KEYS.length;
  }
  return ops / (ms / 1000);
}

const server = await startRedisServer();
try {
  const setup = { host: '127.0.0.1', port: server.port, prefix: 'bench-hit', memory: true };
  const libs: Contender[] = contenders
    .filter((make) => make.name !== 'rawIoredis')
    .map((make) => make(setup));
  for (const lib of libs) {
    for (let i = 0; i < KEYS.length; i++) await lib.set(KEYS[i]!, value(i));
    for (const key of KEYS) await lib.get(key); // warm: every key now in the memory tier
  }
  const lru = new LRUCache<string, object>({ max: 10_000 });
  for (let i = 0; i < KEYS.length; i++) lru.set(KEYS[i]!, value(i));
  // Reference rows: the same hit without JSON.parse (the JSON text itself, stringCodec).
  const raw = new TieredCache<string>({
    name: 'bench-hit-raw',
    redis: false,
    codec: stringCodec(),
  });
  for (let i = 0; i < KEYS.length; i++) await raw.set(KEYS[i]!, JSON.stringify(value(i)));
  const references: Array<[string, (key: string) => unknown]> = [
    ['tiercache, stringCodec (no parse)', (key) => raw.get(key)],
    ['lru-cache (await get)', async (key) => lru.get(key)],
  ];
  const samples = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const lib of libs) {
      const sample = await opsPerSecond((key) => lib.get(key));
      samples.set(lib.name, [...(samples.get(lib.name) ?? []), sample]);
    }
    for (const [name, get] of references) {
      const sample = await opsPerSecond(get);
      samples.set(name, [...(samples.get(name) ?? []), sample]);
    }
  }
  const ours = median(samples.get('tiercache')!);
  const bestOther = Math.max(
    ...[...samples]
      .filter(([name]) => !name.startsWith('tiercache') && !name.startsWith('lru'))
      .map(([, s]) => median(s)),
  );
  printTable(
    ['library (memory hit)', 'ops/s (median)', 'µs/op', 'tiercache ×'],
    [...samples].map(([name, s]) => {
      const m = median(s);
      return [name, fmt(m), fmt(1e6 / m, 2), `${fmt(ours / m, 2)}×`];
    }),
  );
  console.log(
    `\ntiercache vs the best tiered alternative: ${fmt(ours / bestOther, 1)}× (target ≥ 10×)`,
  );
  console.log(`${rounds} interleaved rounds of ${ms} ms · ${machineLine()}`);
  for (const lib of libs) await lib.close();
  await raw.close();
} finally {
  await server.kill();
}
process.exit(0);
