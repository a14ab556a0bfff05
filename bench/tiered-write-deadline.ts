/**
 * Writes under faults: how long `delete()`, `set()`, `tryDelete()`, `trySet()` and `clear()` take
 * to answer when Redis cannot take them, for several `redisTimeoutMs`. One private redis-server
 * per failure (never the shared 6379):
 *
 * - frozen: SIGSTOP, connections open, nothing answered;
 * - OOM: `maxmemory 1mb` + `maxmemory-policy noeviction`, filled until it refuses writes;
 * - stopped: the server killed (connections refused; the client queues while it reconnects).
 *
 * For each failure, timeout and operation: `--sequential` calls one after another, then
 * `--concurrent` calls started together, each timed from its start to its own answer. The
 * breaker is off (`breaker: false`), so every call meets the failure (with the default breaker,
 * calls after the fifth failure are skipped at once). The bus is on and subscribed, so a write is
 * a `DEL`/`SET` and then a `PUBLISH`. Every call is capped at 3 × the timeout + 2 s so the bench
 * never hangs; a capped call shows as "hung". Each call is bracketed by two plain
 * `setTimeout(timeout)`s: one set just before it (how late it fires is the machine's own
 * scheduling delay) and one set just after the call set its own timer (a call that answers before
 * that one fires added nothing beyond the timer turn that a plain timer also waits for). The
 * call's synchronous start (until it has set its own timer) is shown too: a stall there (GC,
 * the process not scheduled) delays its timer and the answer. The server is thawed and killed at the end, always.
 *
 *   npm run bench -- tiered-write-deadline [--sequential 20] [--concurrent 20]
 *     [--timeouts 100,250,1000] [--failures frozen,oom,stopped] [--ops delete,set,...]
 */
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { TieredCache } from 'tiercache';
import { MemoryStore } from 'tiercache/memory';
import { type PrivateRedis, startRedisServer } from '../test/helpers/redis-server.ts';
import {
  argNumber,
  argValue,
  capped,
  fmt,
  HUNG,
  machineLine,
  median,
  percentile,
  printTable,
} from './_harness.ts';

const sequential = argNumber('--sequential', 20);
const concurrent = argNumber('--concurrent', 20);
const timeouts = (argValue('--timeouts') ?? '100,250,1000').split(',').map(Number);
const FAILURES = ['frozen', 'oom', 'stopped'] as const;
type Failure = (typeof FAILURES)[number];
const failures = (argValue('--failures') ?? FAILURES.join(',')).split(',') as Failure[];
for (const failure of failures) {
  if (!FAILURES.includes(failure)) throw new TypeError(`--failures: unknown "${failure}"`);
}
const OPS = ['delete', 'set', 'tryDelete', 'trySet', 'clear'] as const;
type Op = (typeof OPS)[number];
const ops = (argValue('--ops') ?? OPS.join(',')).split(',') as Op[];
for (const op of ops) if (!OPS.includes(op)) throw new TypeError(`--ops: unknown "${op}"`);

const VALUE = JSON.stringify({
  id: 1,
  name: 'user 1',
  email: 'u1@example.com',
  pad: 'x'.repeat(40),
});

/** One call of `op` on key `key`: whether Redis took it (`null`: the method does not say). */
async function call(cache: TieredCache<string>, op: Op, key: string): Promise<boolean | null> {
  switch (op) {
    case 'delete':
      await cache.delete(key);
      return null;
    case 'set':
      await cache.set(key, VALUE);
      return null;
    case 'tryDelete':
      return cache.tryDelete(key);
    case 'trySet':
      return cache.trySet(key, VALUE);
    case 'clear':
      await cache.clear();
      return null;
  }
}

/** Error events by command, e.g. "DEL 20, bus 3". */
function eventList(events: ReadonlyMap<string, number>): string {
  return [...events].map(([command, n]) => `${command} ${n}`).join(', ') || '0';
}

interface Sample {
  ms: number;
  /** How late a plain `setTimeout(timeoutMs)` started with the call fired: the machine's delay. */
  lateMs: number;
  /**
   * When the call answered relative to a plain `setTimeout(timeoutMs)` created right after the
   * call had set its own timer: at most 0 when the call answered in the same timer turn.
   */
  afterMs: number;
  /** How long the call's synchronous start took (until it had set its own timer). */
  startMs: number;
  took: boolean | null;
  threw: boolean;
  hung: boolean;
}

/** Times one call; never throws. */
async function timed(
  cache: TieredCache<string>,
  op: Op,
  key: string,
  capMs: number,
  timeoutMs: number,
): Promise<Sample> {
  const t0 = performance.now();
  const reference = new Promise<number>((resolve) =>
    setTimeout(() => resolve(performance.now() - t0 - timeoutMs), timeoutMs),
  );
  let threw = false;
  const pending = call(cache, op, key).catch(() => {
    threw = true;
    return null;
  });
  const startMs = performance.now() - t0;
  // Created after the call's own timer (set synchronously by the call), so it fires after it.
  const later = new Promise<number>((resolve) =>
    setTimeout(() => resolve(performance.now()), timeoutMs),
  );
  const result = await capped(pending, capMs);
  const answered = performance.now();
  const ms = answered - t0;
  const lateMs = await reference;
  const afterMs = answered - (await later);
  if (result === HUNG) return { ms, lateMs, afterMs, startMs, took: null, threw, hung: true };
  return { ms, lateMs, afterMs, startMs, took: result, threw, hung: false };
}

/** Waits (bounded) until the cache's bus subscriber is up, so each write's PUBLISH is real. */
async function subscribed(admin: Redis, name: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const [, count] = (await admin.pubsub('NUMSUB', `${name}:bus`)) as [string, number];
    if (Number(count) > 0) return;
    await sleep(10);
  }
  throw new Error(`the bus of ${name} never subscribed`);
}

/** Waits (bounded) until `client` answers PING again. */
async function answering(client: Redis): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await capped(
      client.ping().catch(() => null),
      500,
    );
    if (ok === 'PONG') return;
    await sleep(50);
  }
  throw new Error('Redis did not come back');
}

/** Fills a `maxmemory 1mb` / `noeviction` server until it refuses a write (bounded). */
async function fillUntilRefused(admin: Redis): Promise<void> {
  await admin.config('SET', 'maxmemory-policy', 'noeviction');
  await admin.config('SET', 'maxmemory', '1mb');
  const filler = 'f'.repeat(1000);
  for (let i = 0; i < 10_000; i++) {
    try {
      await admin.set(`filler:${i}`, filler);
    } catch (error) {
      if (String(error).includes('OOM')) return;
      throw error;
    }
  }
  throw new Error('Redis never refused a write under maxmemory 1mb');
}

async function induce(failure: Failure, server: PrivateRedis, admin: Redis): Promise<void> {
  if (failure === 'frozen') server.pause();
  else if (failure === 'oom') await fillUntilRefused(admin);
  else await server.stop();
}

async function repair(
  failure: Failure,
  server: PrivateRedis,
  client: Redis,
  admin: Redis,
): Promise<void> {
  if (failure === 'frozen') server.resume();
  else if (failure === 'oom') {
    await admin.config('SET', 'maxmemory', '0');
    await admin.flushall();
  } else await server.restart();
  await answering(client);
  await answering(admin);
}

const rows: string[][] = [];
let worstExcess = Number.NEGATIVE_INFINITY;
let worstOwn = Number.NEGATIVE_INFINITY;
for (const failure of failures) {
  const server = await startRedisServer();
  const client = server.client();
  client.on('error', () => {});
  const admin = server.client();
  admin.on('error', () => {});
  try {
    for (const timeoutMs of timeouts) {
      const name = `bench-wd-${failure}-${timeoutMs}`;
      const store = new MemoryStore({ budget: null });
      const cache = new TieredCache<string>({
        name,
        redis: client,
        memory: store,
        redisTimeoutMs: timeoutMs,
        breaker: false,
      });
      const events = new Map<string, number>();
      cache.on('error', (error: Error) => {
        // Anything not from a Redis command is the bus subscriber's connection error.
        const command = /^Redis (\S+)/.exec(error.message)?.[1] ?? 'bus';
        events.set(command, (events.get(command) ?? 0) + 1);
      });
      const capMs = 3 * timeoutMs + 2000;
      try {
        await subscribed(admin, name);
        for (const op of ops) {
          const keys = Array.from({ length: sequential + concurrent }, (_, i) => `${op}:${i}`);
          for (const key of keys) await cache.set(key, VALUE);
          const phases: Array<[string, Sample[], string]> = [];
          await induce(failure, server, admin);
          try {
            events.clear();
            const one: Sample[] = [];
            for (let i = 0; i < sequential; i++) {
              one.push(await timed(cache, op, keys[i]!, capMs, timeoutMs));
            }
            phases.push([`${sequential} one by one`, one, eventList(events)]);
            events.clear();
            const all = await Promise.all(
              keys.slice(sequential).map((key) => timed(cache, op, key, capMs, timeoutMs)),
            );
            phases.push([`${concurrent} at once`, all, eventList(events)]);
          } finally {
            await repair(failure, server, client, admin);
          }
          for (const [calls, samples, errorEvents] of phases) {
            const times = samples.filter((s) => !s.hung).map((s) => s.ms);
            const hung = samples.length - times.length;
            const max = times.length > 0 ? Math.max(...times) : Number.NaN;
            if (failure !== 'oom') worstExcess = Math.max(worstExcess, max - timeoutMs);
            const took = samples.filter((s) => s.took === true).length;
            const said = samples.filter((s) => s.took !== null).length;
            const late = Math.max(...samples.map((s) => s.lateMs));
            const start = Math.max(...samples.map((s) => s.startMs));
            // The call's own cost past its deadline: when it answered after a plain timer of the
            // same length created just after it (at most 0: within the same timer turn).
            const own = Math.max(...samples.map((s) => s.afterMs));
            if (failure !== 'oom') worstOwn = Math.max(worstOwn, own);
            rows.push([
              failure,
              String(timeoutMs),
              `${op}()`,
              calls,
              times.length > 0 ? fmt(median(times), 1) : '—',
              times.length > 0 ? fmt(percentile(times, 99), 1) : '—',
              times.length > 0 ? fmt(max, 1) : '—',
              failure === 'oom' ? '—' : times.length > 0 ? fmt(max - timeoutMs, 1) : '—',
              failure === 'oom' ? '—' : fmt(late, 1),
              fmt(start, 1),
              failure === 'oom' ? '—' : own <= 0 ? '≤ 0' : fmt(own, 1),
              said > 0 ? `${took}/${said}` : '—',
              String(samples.filter((s) => s.threw).length + (hung > 0 ? ` (hung ${hung})` : '')),
              errorEvents,
            ]);
          }
          console.error(`  ${failure} ${timeoutMs} ms ${op}: done`);
        }
      } finally {
        await capped(cache.close(), 5000);
        store.close();
      }
    }
  } finally {
    server.resume();
    client.disconnect();
    admin.disconnect();
    await server.kill();
  }
}

printTable(
  [
    'Redis',
    'timeout ms',
    'call',
    'calls',
    'median ms',
    'p99 ms',
    'max ms',
    'max − timeout ms',
    'plain timer, max late ms',
    'call start (sync), max ms',
    'answered after a plain timer set just after the call, max ms',
    'Redis took',
    'threw',
    'error events',
  ],
  rows,
);
console.log(
  `\ntarget: frozen/stopped max ≤ redisTimeoutMs + 50 ms · worst excess ${fmt(worstExcess, 1)} ms, beyond a plain setTimeout(redisTimeoutMs) set just after the call ${worstOwn <= 0 ? '≤ 0' : fmt(worstOwn, 1)} ms · breaker off · load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} · ${machineLine()}`,
);
process.exit(0);
