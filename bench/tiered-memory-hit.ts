/**
 * Scenario (1): a read served from memory. Each library holds `--keys` keys (JSON objects of
 * ~100 bytes; default 100,000) in its memory tier in front of a private redis-server; the loop
 * awaits `get` of keys drawn from a Zipf distribution (exponent `--zipf`, default 1.0: the
 * hottest key is read ~8 % of the time, the 1,000 hottest ~60 %), for `--ms` per round,
 * alternatives interleaved over `--rounds` rounds, after one unmeasured warm-up round of every
 * row (and, for the hot-set rows, one unmeasured pass of the whole trace, so the rounds measure a
 * filled hot set, not one filling up). Every alternative reads the same pre-drawn sequence of key
 * strings.
 *
 * Rows: tiercache with its JSON codec and with `stringCodec` (the JSON text itself, no parse),
 * each without and with the decoded hot set (`hotSet`, `--hot` keys: a comma list of sizes,
 * default 10,000 and 30,000), against bentocache, cache-manager and
 * cacheable; lru-cache (sync, returns a stored reference) is the floor no async tiered cache
 * reaches.
 *
 *   npm run bench -- tiered-memory-hit [--keys 100000] [--zipf 1] [--hot 10000,20000] [--ms 300] [--rounds 3]
 */

import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { stringCodec, TieredCache, type TieredCacheOptions } from 'tiercache';
import { startRedisServer } from '../test/helpers/redis-server.ts';
import { argNumber, argValue, fmt, machineLine, median, printTable } from './_harness.ts';
import { type Contender, contenders } from './_tiered-contenders.ts';

const ms = argNumber('--ms', 300);
const rounds = argNumber('--rounds', 3);
const keyCount = argNumber('--keys', 100_000);
const exponent = argNumber('--zipf', 1);
/**
 * Hot set sizes (a comma list): 10,000 of 100,000 keys take ~81 % of the reads under Zipf 1.0,
 * 30,000 ~90 % (the size that reached the 10x target on a quiet machine, docs/benchmarks.md).
 */
const HOT_SIZES = (argValue('--hot') ?? '10000,30000').split(',').map(Number);
const KEYS = Array.from({ length: keyCount }, (_, i) => `user:${100_000 + i}`);
const value = (i: number) => ({
  id: i,
  name: `user ${i}`,
  email: `u${i}@example.com`,
  score: i * 7,
});

/** `count` key strings drawn from a Zipf(exponent) law over KEYS (rank 1 = KEYS[0]), seeded. */
function zipfTrace(count: number): string[] {
  const cdf = new Float64Array(keyCount);
  let sum = 0;
  for (let i = 0; i < keyCount; i++) {
    sum += 1 / (i + 1) ** exponent;
    cdf[i] = sum;
  }
  let seed = 12345;
  const out = new Array<string>(count);
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
    out[n] = KEYS[lo]!;
  }
  return out;
}

// 2^20 draws: about 60,000 distinct keys, so a hot set smaller than that is measured on the
// law's tail too, not on a trace short enough to fit in it.
const TRACE = zipfTrace(1 << 20);

let cursor = 0;
async function opsPerSecond(get: (key: string) => unknown): Promise<number> {
  let ops = 0;
  const mask = TRACE.length - 1;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    // Batches of 1024 between clock reads keep the clock out of the figure; the trace position
    // carries over, so every alternative reads the same mix of keys.
    for (let i = 0; i < 1024; i++) await get(TRACE[cursor++ & mask]!);
    ops += 1024;
    now = performance.now();
  }
  return ops / ((now - start) / 1000);
}

/** Fills a library's tiers with every key, 200 writes in flight at a time. */
async function fill(set: (key: string, i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < keyCount; start += 200) {
    const batch: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(keyCount, start + 200); i++) batch.push(set(KEYS[i]!, i));
    await Promise.all(batch);
  }
}

const server = await startRedisServer();
const clients: Redis[] = [];
const ours: Array<TieredCache<unknown>> = [];
/** A tiercache variant on the private server, memory large enough for every key. */
function tiercacheVariant(name: string, options: Partial<TieredCacheOptions<unknown>>) {
  const client = new Redis({ host: '127.0.0.1', port: server.port });
  client.on('error', () => {});
  clients.push(client);
  const cache = new TieredCache<unknown>({
    name,
    redis: client,
    memory: { maxBytes: 256 * 2 ** 20, budget: null },
    ttlMs: 600_000,
    // Memory keeps entries as long as Redis (the others' memory tiers do too): the fill of every
    // variant takes longer than the default memoryTtlMs on a busy machine.
    memoryTtlMs: 0,
    // The fill sends many writes at once to a busy machine: no write may time out and leave a key out.
    redisTimeoutMs: 10_000,
    ...options,
  } as TieredCacheOptions<unknown>);
  cache.on('error', () => {});
  ours.push(cache);
  return cache;
}

try {
  const setup = { host: '127.0.0.1', port: server.port, prefix: 'bench-hit', memory: true };
  const anchors: Contender[] = contenders
    .filter((make) => make.name !== 'rawIoredis' && make.name !== 'tiercache')
    .map((make) => make(setup));
  const rows: Array<[string, (key: string) => unknown, 'ours' | 'anchor' | 'floor']> = [];
  const hotSet = (process.env.BENCH_HOT_SET ?? '1') !== '0';
  const variants: Array<[string, boolean, number]> = [
    ['tiercache, JSON', false, 0],
    ['tiercache, stringCodec', true, 0],
  ];
  if (hotSet) {
    for (const size of HOT_SIZES) {
      variants.push([`tiercache, JSON + hot set (${fmt(size)})`, false, size]);
      variants.push([`tiercache, stringCodec + hot set (${fmt(size)})`, true, size]);
    }
  }
  for (const [label, text, hot] of variants) {
    const cache = tiercacheVariant(`bench-hit-${text ? 's' : 'j'}${hot}`, {
      ...(text ? { codec: stringCodec() as never } : {}),
      ...(hot > 0 ? { hotSet: { maxEntries: hot, maxBytes: 8 * 2 ** 20 } } : {}),
    });
    await fill((key, i) => cache.set(key, text ? JSON.stringify(value(i)) : value(i)));
    rows.push([label, (key) => cache.get(key, { read: 'fast' }), 'ours']);
  }
  for (const lib of anchors) {
    await fill((key, i) => lib.set(key, value(i)));
    rows.push([lib.name, (key) => lib.get(key), 'anchor']);
  }
  const lru = new LRUCache<string, object>({ max: keyCount * 2 });
  for (let i = 0; i < keyCount; i++) lru.set(KEYS[i]!, value(i));
  rows.push(['lru-cache (await get)', async (key) => lru.get(key), 'floor']);
  // Every row must answer every key of the trace (a miss would measure Redis, not memory).
  for (const [label, get] of rows) {
    for (const key of new Set(TRACE)) {
      if ((await get(key)) === undefined) throw new Error(`${label} missed ${key}`);
    }
  }

  // Warm-up, not measured: one round of every row, and before it one pass of the whole trace
  // through each hot-set row, so the rounds measure a filled hot set (it fills as the keys are
  // read; the share it answered during that pass is printed below, as the cold start's figure).
  const warmBefore = ours.map((cache) => [cache.stats().hotSet.hits, cache.stats().memory.hits]);
  const warmShare = new Map<TieredCache<unknown>, number>();
  for (const [i, cache] of ours.entries()) {
    if (!(variants[i]![2] > 0)) continue;
    for (const key of TRACE) await cache.get(key, { read: 'fast' });
    const stats = cache.stats();
    warmShare.set(
      cache,
      (stats.hotSet.hits - warmBefore[i]![0]!) / (stats.memory.hits - warmBefore[i]![1]!),
    );
  }
  for (const [, get] of rows) await opsPerSecond(get);

  const missesBefore = ours.map((cache) => cache.stats().memory.misses);
  const hotBefore = ours.map((cache) => {
    const stats = cache.stats();
    return [stats.hotSet.hits, stats.memory.hits, stats.hotSet.admitted];
  });
  const samples = new Map<string, number[]>(rows.map(([label]) => [label, []]));
  for (let round = 0; round < rounds; round++) {
    // Each round starts one row further on: a row's time carries the garbage the row before it
    // left, so every row gets each predecessor in turn (over rounds that are a multiple of the
    // row count, evenly).
    for (let r = 0; r < rows.length; r++) {
      const [label, get] = rows[(round + r) % rows.length]!;
      samples.get(label)!.push(await opsPerSecond(get));
    }
  }
  const bestAnchor = Math.max(
    ...rows.filter(([, , kind]) => kind === 'anchor').map(([label]) => median(samples.get(label)!)),
  );
  printTable(
    ['library (memory hit, Zipf)', 'ops/s (median)', 'µs/op', '× best anchor'],
    rows.map(([label]) => {
      const m = median(samples.get(label)!);
      return [label, fmt(m), fmt(1e6 / m, 2), `${fmt(m / bestAnchor, 2)}×`];
    }),
  );
  // Every read must have been a memory hit: a miss would have measured Redis.
  const missed = ours.map((cache, i) => cache.stats().memory.misses - missesBefore[i]!);
  if (missed.some((n) => n > 0))
    console.log(`\nWARNING: memory misses during the rounds: ${missed}`);
  console.log(`\ndistinct keys in the trace: ${fmt(new Set(TRACE).size)}`);
  // Share of the rounds' reads the hot set answered (the rest were decoded from the store).
  ours.forEach((cache, i) => {
    const stats = cache.stats();
    const [hot0, hits0, admitted0] = hotBefore[i]!;
    if (stats.hotSet.admitted === 0) return;
    const reads = stats.memory.hits - hits0!;
    const share = (stats.hotSet.hits - hot0!) / reads;
    const admitted = (stats.hotSet.admitted - admitted0!) / reads;
    const warm = warmShare.get(cache);
    console.log(
      `${cache.name}: hot set answered ${fmt(share * 100, 1)} % of reads, admitted a key on ${fmt(admitted * 100, 2)} %` +
        (warm === undefined
          ? ''
          : ` (${fmt(warm * 100, 1)} % during the warm-up pass, from empty)`),
    );
  });
  console.log('target: tiercache, JSON + hot set ≥ 10× the best anchor');
  console.log(
    `${fmt(keyCount)} keys, Zipf ${exponent}, ${rounds} interleaved rounds of ${ms} ms · ${machineLine()}`,
  );
  for (const lib of anchors) await lib.close();
  for (const cache of ours) await cache.close();
  for (const client of clients) client.disconnect();
} finally {
  await server.kill();
}
process.exit(0);
