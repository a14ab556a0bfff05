import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { TieredCache } from 'tiercache';
import { gatedLoader } from '../helpers/gated-loader.ts';
import { sharedRedis, skipWithoutRedis, uniquePrefix } from '../helpers/redis.ts';
import { startRedisServer } from '../helpers/redis-server.ts';

const HANG = { timeout: 30_000 };

/** Waits for `done()`, failing after 15 s (a bound on a hang, not a timing assertion). */
async function until(what: string, done: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await done())) {
    if (Date.now() > deadline) assert.fail(`not ${what} within 15 s`);
    await sleep(20);
  }
}

/** Publishes probes from `writer` until `reader` has received a bus message: it is subscribed. */
async function untilSubscribed(writer: TieredCache<string>, reader: TieredCache<string>) {
  await until('subscribed', async () => {
    await writer.delete('probe');
    await sleep(20);
    return reader.stats().bus.received > 0;
  });
}

describe('the bus subscription', () => {
  describe('on the shared Redis', async () => {
    const skip = await skipWithoutRedis();
    let client: Redis;
    before(() => {
      if (!skip) client = sharedRedis();
    });
    after(() => client?.disconnect());

    it('memory filled before the first SUBSCRIBE is acknowledged is dropped once it is', {
      skip,
      ...HANG,
    }, async () => {
      const name = uniquePrefix('bus-start');
      const writer = new TieredCache<string>({ name, redis: client, memory: false });
      await writer.set('k', 'old');
      const reader = new TieredCache<string>({ name, redis: client });
      try {
        // The subscriber is still connecting: this back-fills memory, and the write that
        // follows is published before anyone listens, so the reader never hears of it.
        assert.deepEqual(await reader.getMany(['k']), ['old']);
        await writer.set('k', 'new');
        await untilSubscribed(writer, reader);
        assert.deepEqual(await reader.getMany(['k']), ['new']);
        assert.equal(reader.stats().bus.reconnects, 0, 'the first subscription is no reconnect');
      } finally {
        await writer.close();
        await reader.close();
        await client.del(`${name}:k`);
      }
    });
    it('a fetch in flight when the subscription becomes active back-fills Redis, not memory', {
      skip,
      ...HANG,
    }, async () => {
      const name = uniquePrefix('bus-inflight');
      const { load, loading, release } = gatedLoader((keys) => keys.map(() => 'loaded'));
      const reader = new TieredCache<string>({
        name,
        redis: client,
        load,
      });
      const writer = new TieredCache<string>({ name, redis: client, memory: false });
      try {
        // Starts before the subscriber can have connected, and loads across the moment it does.
        const reading = reader.getMany(['k']);
        await loading;
        await untilSubscribed(writer, reader);
        release();
        assert.deepEqual(await reading, ['loaded']);
        await client.ping(); // the back-fill was sent on this connection before `reading` resolved
        assert.equal(await writer.get('k'), 'loaded', 'Redis was back-filled');
        const misses = reader.stats().memory.misses;
        assert.deepEqual(await reader.getMany(['k']), ['loaded']);
        assert.equal(reader.stats().memory.misses, misses + 1, 'memory was not');
      } finally {
        await writer.close();
        await reader.close();
        await client.del(`${name}:k`);
      }
    });
  });

  it(
    'a stopped Redis is one error event per outage, its reconnect failures are counted',
    HANG,
    async () => {
      const server = await startRedisServer();
      const client = server.client();
      client.on('error', () => {});
      const errors: Error[] = [];
      const reader = new TieredCache<string>({ name: 'bus-outage', redis: client });
      reader.on('error', (error) => errors.push(error));
      const writer = new TieredCache<string>({ name: 'bus-outage', redis: client, memory: false });
      try {
        await untilSubscribed(writer, reader);
        await writer.close();
        assert.equal(errors.length, 0);
        // Nothing reads or writes from here on: every failure is the subscriber's own.
        for (let outage = 1; outage <= 2; outage++) {
          const before = reader.stats().bus.errors;
          await server.stop();
          // ioredis retries every 50-300 ms at first, each failed attempt an 'error' on the
          // subscriber: wait for several, all but the first of them repeats.
          await until('several reconnect failures', () => reader.stats().bus.errors >= before + 4);
          assert.equal(errors.length, outage, `one error event for outage ${outage}: ${errors}`);
          const reconnects = reader.stats().bus.reconnects;
          await server.restart();
          await until('subscribed again', () => reader.stats().bus.reconnects > reconnects);
        }
      } finally {
        await writer.close();
        await reader.close();
        client.disconnect();
        await server.kill();
      }
    },
  );

  it('subscribes once Redis comes up when it was down at start-up', HANG, async () => {
    const server = await startRedisServer();
    await server.stop();
    // One retry per command: the first SUBSCRIBE is rejected while the server is down.
    const client = server.client({ maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    const errors: Error[] = [];
    const reader = new TieredCache<string>({
      name: 'bus-down',
      redis: client,
      redisTimeoutMs: 200,
    });
    reader.on('error', (error) => errors.push(error));
    let writer: TieredCache<string> | undefined;
    try {
      await until('refused', () => errors.some((error) => /max retries/i.test(error.message)));
      await server.restart();
      writer = new TieredCache<string>({ name: 'bus-down', redis: client, memory: false });
      // ioredis reconnects with back-off; the reader must then subscribe on its own.
      await untilSubscribed(writer, reader);
      await reader.set('k', 'v1');
      assert.deepEqual(await reader.getMany(['k']), ['v1']);
      const received = reader.stats().bus.received;
      await writer.set('k', 'v2');
      await until('told', () => reader.stats().bus.received > received);
      assert.deepEqual(await reader.getMany(['k']), ['v2']);
    } finally {
      await writer?.close();
      await reader.close();
      client.disconnect();
      await server.kill();
    }
  });
});
