/**
 * The shared Redis that tests use by default: `REDIS_URL` (default `redis://127.0.0.1:6379`).
 * When it is unreachable, Redis-backed tests skip with a loud reason, except under `CI=true`,
 * where they fail: CI must never pass by skipping. Keys must carry a unique prefix
 * ({@link uniquePrefix}); never FLUSHALL or FLUSHDB a shared server.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The URL of the shared test Redis. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let reachable: Promise<boolean> | undefined;

/** Whether the shared Redis answers PING (checked once per process). */
export function sharedRedisReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const probe = new Redis(REDIS_URL, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 1000,
    });
    probe.on('error', () => {});
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  })();
  return reachable;
}

/**
 * Resolves to a `skip` reason for `node:test` when the shared Redis is unreachable (and prints it
 * loudly), or `false`; under `CI=true` an unreachable Redis throws instead.
 */
export async function skipWithoutRedis(): Promise<string | false> {
  if (await sharedRedisReachable()) return false;
  const reason = `Redis is not reachable at ${REDIS_URL}: set REDIS_URL or start redis-server`;
  if (process.env.CI === 'true')
    throw new Error(`${reason} (CI=true: failing instead of skipping)`);
  console.warn(`\n*** SKIPPING Redis tests: ${reason} ***\n`);
  return reason;
}

/** A new client on the shared Redis; the caller must `disconnect()` it. */
export function sharedRedis(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
}

/** A key prefix no other test run uses, e.g. `t-conformance-1a2b3c`. */
export function uniquePrefix(label: string): string {
  return `t-${label}-${randomBytes(4).toString('hex')}`;
}
