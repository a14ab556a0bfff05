import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  InvalidArgumentError,
  InvalidOptionError,
  InvalidOptionTypeError,
  TieredCache,
  type TieredCacheOptions,
} from 'tiercache';

it('refuses bad options at construction, naming the option', () => {
  const cases: Array<[Partial<TieredCacheOptions<unknown>>, string, unknown]> = [
    [{ name: '' }, 'name', InvalidOptionError],
    [{ name: 'has space' }, 'name', InvalidOptionError],
    [{ name: 7 as unknown as string }, 'name', InvalidOptionTypeError],
    [{ ttlMs: -1 }, 'ttlMs', InvalidOptionError],
    [{ ttlMs: Number.NaN }, 'ttlMs', InvalidOptionError],
    [{ memoryTtlMs: '5' as unknown as number }, 'memoryTtlMs', InvalidOptionTypeError],
    [{ negativeTtlMs: 2 ** 40 }, 'negativeTtlMs', InvalidOptionError],
    [{ ttlJitter: 1.5 }, 'ttlJitter', InvalidOptionError],
    [{ redisTimeoutMs: 0 }, 'redisTimeoutMs', InvalidOptionError],
    [{ redisBatchSize: 1.5 }, 'redisBatchSize', InvalidOptionError],
    [{ breaker: { failureThreshold: 0 } }, 'breaker.failureThreshold', InvalidOptionError],
    [{ breaker: 'on' as unknown as false }, 'breaker', InvalidOptionTypeError],
    [{ redis: {} as unknown as false }, 'redis', InvalidOptionTypeError],
    [{ load: 'db' as unknown as undefined }, 'load', InvalidOptionTypeError],
    [{ codec: { encode: JSON.stringify } as never }, 'codec', InvalidOptionTypeError],
    [{ memory: 64 as unknown as false }, 'memory', InvalidOptionTypeError],
    [{ strict: 1 as unknown as boolean }, 'strict', InvalidOptionTypeError],
  ];
  for (const [options, option, type] of cases) {
    assert.throws(
      () => new TieredCache({ name: 'ok', redis: false, ...options }),
      (error: Error & { code?: string; option?: string }) => {
        assert.ok(error instanceof (type as typeof Error), `${option}: ${error.name}`);
        assert.equal(error.code, 'TIERCACHE_INVALID_OPTION');
        assert.equal(error.option, option);
        return true;
      },
    );
  }
  assert.throws(() => new TieredCache(undefined as never), InvalidOptionTypeError);
});

it('refuses a bad per-call ttlMs without writing anything', async () => {
  const cache = new TieredCache<string>({ name: 'ttl-arg', redis: false });
  try {
    await cache.set('k', 'v');
    await assert.rejects(cache.set('k', 'w', { ttlMs: -5 }), InvalidArgumentError);
    await assert.rejects(cache.setMany([['k', 'w']], { ttlMs: Number.NaN }), InvalidArgumentError);
    assert.equal(await cache.get('k'), 'v');
  } finally {
    await cache.close();
  }
});
