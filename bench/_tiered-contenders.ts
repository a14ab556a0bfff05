/**
 * The libraries the `tiered-*` scenarios compare, each set up the way its documentation shows
 * for "memory in front of Redis", behind one small interface. Every contender owns its
 * connections and `close()`s them; `memory: false` builds the Redis-only variant (so a read
 * really goes to Redis every time).
 *
 * @module
 */
import KeyvRedis from '@keyv/redis';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { createCache } from 'cache-manager';
import { Cacheable, CacheableMemory } from 'cacheable';
import { Redis } from 'ioredis';
import { Keyv } from 'keyv';
import { TieredCache } from 'tiercache';

/** What a scenario does with a library. */
export interface Contender {
  readonly name: string;
  get(key: string): Promise<unknown>;
  getMany(keys: string[]): Promise<unknown[]>;
  set(key: string, value: unknown): Promise<void>;
  /** Read-through: the library's own "get, or load and store" call. */
  getOrLoad(key: string, load: () => Promise<unknown>): Promise<unknown>;
  close(): Promise<void>;
}

/** Where the contenders connect, and what they put in front of Redis. */
export interface ContenderSetup {
  host: string;
  port: number;
  prefix: string;
  memory: boolean;
  /** A tiercache loader for `getOrLoad`; the others take the loader per call. */
  load?: (keys: string[]) => Promise<unknown[]>;
}

const TTL_MS = 600_000;

/** tiercache's TieredCache (its `get` reads `fast` when memory is on, as the scenario is about hits). */
export function tiercache(
  setup: ContenderSetup,
  options: { redisTimeoutMs?: number } = {},
): Contender {
  const client = new Redis({ host: setup.host, port: setup.port });
  client.on('error', () => {});
  const cache = new TieredCache<unknown>({
    name: `${setup.prefix}-tc`,
    redis: client,
    memory: setup.memory ? {} : false,
    ttlMs: TTL_MS,
    ...(setup.load ? { load: setup.load } : {}),
    ...options,
  });
  cache.on('error', () => {});
  const read = setup.memory ? 'fast' : 'fresh';
  return {
    name: 'tiercache',
    get: (key) => cache.get(key, { read }),
    getMany: (keys) => cache.getMany(keys, { read }),
    set: (key, value) => cache.set(key, value),
    getOrLoad: (key) => cache.get(key, { read }),
    close: async () => {
      await cache.close();
      client.disconnect();
    },
  };
}

/** bentocache: L1 memory driver, L2 Redis driver, Redis bus (its documented two-level set-up). */
export function bento(setup: ContenderSetup): Contender {
  const connection = { host: setup.host, port: setup.port };
  let store = bentostore();
  if (setup.memory) store = store.useL1Layer(memoryDriver({ maxSize: '100mb' }));
  store = store.useL2Layer(redisDriver({ connection }));
  if (setup.memory) store = store.useBus(redisBusDriver({ connection }));
  const cache = new BentoCache({
    default: 'c',
    prefix: `${setup.prefix}-bento`,
    stores: { c: store },
  });
  return {
    name: 'bentocache',
    get: (key) => cache.get({ key }),
    getMany: (keys) => Promise.all(keys.map((key) => cache.get({ key }))),
    set: async (key, value) => {
      await cache.set({ key, value, ttl: TTL_MS });
    },
    getOrLoad: (key, load) => cache.getOrSet({ key, factory: load, ttl: TTL_MS }),
    close: () => cache.disconnectAll(),
  };
}

/** cache-manager 7: a Keyv over CacheableMemory, then a Keyv over @keyv/redis. */
export function cacheManager(setup: ContenderSetup): Contender {
  const redisStore = new Keyv({
    store: new KeyvRedis(`redis://${setup.host}:${setup.port}`),
    namespace: `${setup.prefix}-cm`,
  });
  redisStore.on('error', () => {});
  const stores = setup.memory
    ? [new Keyv({ store: new CacheableMemory({ lruSize: 200_000 }) }), redisStore]
    : [redisStore];
  const cache = createCache({ stores });
  return {
    name: 'cache-manager',
    get: (key) => cache.get(key),
    getMany: (keys) => cache.mget(keys),
    set: async (key, value) => {
      await cache.set(key, value, TTL_MS);
    },
    getOrLoad: (key, load) => cache.wrap(key, load, TTL_MS),
    close: async () => {
      await cache.disconnect();
    },
  };
}

/** cacheable 2: its in-memory primary and @keyv/redis as the secondary. */
export function cacheable(setup: ContenderSetup): Contender {
  const secondary = new KeyvRedis(`redis://${setup.host}:${setup.port}`);
  secondary.on('error', () => {});
  const cache = setup.memory
    ? new Cacheable({ secondary, namespace: `${setup.prefix}-ca` })
    : new Cacheable({ primary: new Keyv({ store: secondary }), namespace: `${setup.prefix}-ca` });
  cache.on('error', () => {});
  return {
    name: 'cacheable',
    get: (key) => cache.get(key),
    getMany: (keys) => cache.getMany(keys),
    set: async (key, value) => {
      await cache.set(key, value, TTL_MS);
    },
    getOrLoad: (key, load) => cache.getOrSet(key, load, { ttl: TTL_MS }),
    close: () => cache.disconnect(),
  };
}

/** Plain ioredis with JSON values: GET / MGET, and a naive cache-aside read-through. */
export function rawIoredis(setup: ContenderSetup): Contender {
  const client = new Redis({ host: setup.host, port: setup.port });
  client.on('error', () => {});
  const prefix = `${setup.prefix}-raw:`;
  const parse = (text: string | null) => (text === null ? undefined : JSON.parse(text));
  return {
    name: 'ioredis (raw)',
    get: async (key) => parse(await client.get(prefix + key)),
    getMany: async (keys) => (await client.mget(keys.map((key) => prefix + key))).map(parse),
    set: async (key, value) => {
      await client.set(prefix + key, JSON.stringify(value), 'PX', TTL_MS);
    },
    getOrLoad: async (key, load) => {
      const hit = parse(await client.get(prefix + key));
      if (hit !== undefined) return hit;
      const value = await load();
      await client.set(prefix + key, JSON.stringify(value), 'PX', TTL_MS);
      return value;
    },
    close: async () => {
      client.disconnect();
    },
  };
}

/** Every contender factory, in table order. */
export const contenders = [tiercache, bento, cacheManager, cacheable, rawIoredis] as const;
