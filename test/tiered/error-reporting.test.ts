import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { after, before, it } from 'node:test';
import type { Redis } from 'ioredis';
import { RedisTimeoutError, TieredCache, TieredChannels, WarningCodes } from 'tiercache';
import { type PrivateRedis, startRedisServer } from '../helpers/redis-server.ts';

let server: PrivateRedis;
let client: Redis;
before(async () => {
  server = await startRedisServer();
  client = server.client();
  client.on('error', () => {});
});
after(async () => {
  server.resume();
  client.disconnect();
  await server.kill();
});

it('without an error listener, a Redis failure is one process warning, never a crash', {
  timeout: 20_000,
}, async () => {
  const cache = new TieredCache<string>({
    name: 'no-listener',
    redis: client,
    redisTimeoutMs: 100,
    breaker: false,
    load: (keys) => keys.map(() => 'loaded'),
  });
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  server.pause();
  try {
    assert.equal(await cache.get('a'), 'loaded');
    assert.equal(await cache.get('b'), 'loaded');
    await cache.set('c', 'x');
    await new Promise((resolve) => setImmediate(resolve));
    const ours = warnings.filter(
      (w) => (w as Error & { code?: string }).code === WarningCodes.CACHE_ERROR,
    );
    assert.equal(ours.length, 1);
    assert.match(ours[0]!.message, /no-listener/);
  } finally {
    server.resume();
    process.off('warning', onWarning);
    await cache.close();
  }
});

it('reports each failure to error listeners and the redis error channel', {
  timeout: 20_000,
}, async () => {
  const cache = new TieredCache<string>({ name: 'listener', redis: client, redisTimeoutMs: 100 });
  const published: Array<{ cache: string; operation: string; error: Error }> = [];
  const onMessage = (message: unknown) => published.push(message as (typeof published)[number]);
  subscribe(TieredChannels.redisError, onMessage);
  server.pause();
  try {
    const event = once(cache, 'error');
    assert.equal(await cache.get('a'), undefined);
    const [error] = await event;
    assert.ok(error instanceof RedisTimeoutError);
    assert.equal(published.length, 1);
    assert.equal(published[0]!.cache, 'listener');
    assert.equal(published[0]!.operation, 'GET');
  } finally {
    server.resume();
    unsubscribe(TieredChannels.redisError, onMessage);
    await cache.close();
  }
});
