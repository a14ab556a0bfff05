import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  InvalidArgumentError,
  InvalidOptionError,
  InvalidOptionTypeError,
  MemoryStore,
  TiercacheError,
  TieredCache,
  type TieredCacheOptions,
} from 'tiercache';

it('refuses bad options at construction, naming the option', () => {
  const cases: Array<[Partial<TieredCacheOptions<unknown>>, string, unknown]> = [
    [{ name: '' }, 'name', InvalidOptionError],
    [{ name: 'has space' }, 'name', InvalidOptionError],
    // ':' separates name and key: cache `a` key `b:k` must not be cache `a:b` key `k`.
    [{ name: 'room:meta' }, 'name', InvalidOptionError],
    [{ name: 7 as unknown as string }, 'name', InvalidOptionTypeError],
    [{ ttlMs: -1 }, 'ttlMs', InvalidOptionError],
    [{ ttlMs: Number.NaN }, 'ttlMs', InvalidOptionError],
    // Redis refuses a fractional `PX`: accepted, it would fail every write.
    [{ ttlMs: 1500.5 }, 'ttlMs', InvalidOptionError],
    [{ memoryTtlMs: 0.5 }, 'memoryTtlMs', InvalidOptionError],
    [{ negativeTtlMs: 99.9 }, 'negativeTtlMs', InvalidOptionError],
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
  for (const name of ['{room-7}', 'room.meta_v2-x']) {
    void new TieredCache({ name, redis: false }).close();
  }
});

it('refuses a bad per-call ttlMs without writing anything', async () => {
  const cache = new TieredCache<string>({ name: 'ttl-arg', redis: false });
  try {
    await cache.set('k', 'v');
    await assert.rejects(cache.set('k', 'w', { ttlMs: -5 }), InvalidArgumentError);
    await assert.rejects(cache.setMany([['k', 'w']], { ttlMs: Number.NaN }), InvalidArgumentError);
    await assert.rejects(cache.set('k', 'w', { ttlMs: 0.5 }), InvalidArgumentError);
    assert.equal(await cache.get('k'), 'v');
  } finally {
    await cache.close();
  }
});

it('refuses an unknown option, naming it and the closest known name', () => {
  const cases: Array<[() => unknown, string, string]> = [
    [() => new TieredCache({ name: 'ok', loader: () => [] } as never), 'loader', 'load'],
    [() => new TieredCache({ name: 'ok', ttl: 5 } as never), 'ttl', 'ttlMs'],
    [
      () => new TieredCache({ name: 'ok', breaker: { cooldownMs: 5 } } as never),
      'cooldownMs',
      'coolDownMs',
    ],
    [
      () => new TieredCache({ name: 'ok', memory: { maxbytes: 1024 } } as never),
      'maxbytes',
      'maxBytes',
    ],
    [() => new MemoryStore({ maxEntrySize: 1024 } as never), 'maxEntrySize', 'maxEntryBytes'],
  ];
  for (const [make, option, closest] of cases) {
    assert.throws(make, (error: InvalidOptionError) => {
      assert.ok(error instanceof InvalidOptionError, option);
      assert.ok(error instanceof TiercacheError, option);
      assert.equal(error.code, 'TIERCACHE_INVALID_OPTION');
      assert.equal(error.option, option);
      assert.match(error.message, new RegExp(`did you mean \`${closest}\`\\?`), error.message);
      return true;
    });
  }
  // Nothing close: the message lists the known names instead of guessing.
  assert.throws(
    () => new TieredCache({ name: 'ok', zzzzzzzzzz: 1 } as never),
    (error: Error) =>
      !/did you mean/.test(error.message) && /known: name, codec/.test(error.message),
  );
});

it('words every numeric option the same way, with the unit and the range', () => {
  assert.throws(
    () => new TieredCache({ name: 'ok', ttlMs: 1.5 }),
    /Invalid option "ttlMs": expected a whole number of ms from 0 to 2147483647, got 1.5/,
  );
  assert.throws(
    () => new MemoryStore({ maxEntryBytes: 0 }),
    /Invalid option "maxEntryBytes": expected a whole number of bytes >= 1, got 0/,
  );
});

it('checks the grace, refresh and size options', () => {
  const cases: Array<[Partial<TieredCacheOptions<unknown>>, string, unknown]> = [
    [{ graceMs: -1 }, 'graceMs', InvalidOptionError],
    [{ graceMs: '5s' as unknown as number }, 'graceMs', InvalidOptionTypeError],
    [{ ttlMs: 1000, refreshAheadMs: 1000 }, 'refreshAheadMs', InvalidOptionError],
    [{ ttlMs: 2 ** 31 - 1, graceMs: 1 }, 'graceMs', InvalidOptionError],
    [{ maxValueBytes: 0 }, 'maxValueBytes', InvalidOptionError],
    [{ maxValueBytes: 2 ** 30 }, 'maxValueBytes', InvalidOptionError],
  ];
  for (const [options, option, type] of cases) {
    assert.throws(
      () => new TieredCache({ name: 'ok', redis: false, ...options }),
      (error: Error & { option?: string }) => {
        assert.ok(error instanceof (type as typeof Error), `${option}: ${error.name}`);
        assert.equal(error.option, option);
        return true;
      },
    );
  }
  void new TieredCache({ name: 'ok', ttlMs: 1000, refreshAheadMs: 999, graceMs: 5000 }).close();
});
