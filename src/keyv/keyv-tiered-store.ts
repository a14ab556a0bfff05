import { EventEmitter } from 'node:events';
import type { Cluster, Redis } from 'ioredis';
import { InvalidOptionTypeError } from '../errors.ts';
import { oneOfOption } from '../options-check.ts';
import type { ReadPolicy } from '../tiered/call-options.ts';
import type { TieredCacheOptions } from '../tiered/options.ts';
import { TieredCache } from '../tiered/tiered-cache.ts';

/** Options of a {@link KeyvTieredStore}: a TieredCache's, with Redis required. */
export interface KeyvTieredStoreOptions extends TieredCacheOptions<unknown> {
  /** The Redis tier, required: it is what several nodes share, and where `clear()` looks. */
  redis: Redis | Cluster;
  /**
   * How `get` reads: `'fresh'` (Redis first, as every node writes through it) or `'fast'`
   * (this node's memory first; another node's write arrives over the bus). @default 'fresh'
   */
  read?: ReadPolicy;
}

const FRESH = { read: 'fresh' } as const;
/** Keys deleted per `deleteMany` while clearing, and asked for per SCAN step. */
const CLEAR_BATCH = 500;

/**
 * A Keyv storage adapter over a {@link TieredCache} it creates and owns (memory, then Redis,
 * with invalidations between nodes): `new Keyv({ store: new KeyvTieredStore({ name, redis }) })`.
 * Built on the cache's `get`, `getMany`, `set`, `has`, `delete`, `deleteMany` and `clear`; a
 * Keyv namespace is cleared by scanning Redis for its keys and deleting them through the cache,
 * so every node's memory drops them.
 */
export class KeyvTieredStore extends EventEmitter {
  /** Keyv reads adapter settings here; this adapter has none. */
  readonly opts: Record<string, unknown> = {};
  /** Set by Keyv: keys arrive prefixed with `<namespace>:`; {@link clear} removes only those. */
  namespace: string | undefined;
  readonly #cache: TieredCache<unknown>;
  readonly #redis: Redis | Cluster;
  readonly #read: { read: ReadPolicy };

  /** Creates the TieredCache from `options`; Redis errors it reports are re-emitted as `error`. */
  constructor(options: KeyvTieredStoreOptions) {
    super();
    const { read: readOption, ...cacheOptions } = options ?? ({} as KeyvTieredStoreOptions);
    if (typeof options?.redis !== 'object' || options.redis === null) {
      throw new InvalidOptionTypeError(
        'redis',
        'KeyvTieredStore needs an ioredis Redis or Cluster',
      );
    }
    const read = oneOfOption<ReadPolicy>('read', readOption, ['fresh', 'fast'], 'fresh');
    this.#cache = new TieredCache<unknown>(cacheOptions);
    this.#redis = options.redis;
    this.#read = { read };
    this.#cache.on('error', (error) => this.emit('error', error));
  }

  /** The TieredCache the entries go through. */
  get cache(): TieredCache<unknown> {
    return this.#cache;
  }

  /** The value stored under `key`, or undefined. */
  async get<Value>(key: string): Promise<Value | undefined> {
    return (await this.#cache.get(key, this.#read)) as Value | undefined;
  }

  /** The values stored under `keys`, in order, undefined where missing. */
  async getMany<Value>(keys: string[]): Promise<Array<Value | undefined>> {
    return (await this.#cache.getMany(keys, this.#read)) as Array<Value | undefined>;
  }

  /** Stores `value` for `ttl` ms (the cache's `ttlMs` when absent). */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    await this.#cache.set(
      key,
      value,
      typeof ttl === 'number' && ttl > 0 ? { ttlMs: Math.ceil(ttl) } : undefined,
    );
    return true;
  }

  /** Stores every entry, as {@link set} does. */
  async setMany(entries: Array<{ key: string; value: unknown; ttl?: number }>): Promise<void> {
    await Promise.all(entries.map(({ key, value, ttl }) => this.set(key, value, ttl)));
  }

  /** Removes `key`; true when it held a value (Keyv asks: one `has`, then the delete). */
  async delete(key: string): Promise<boolean> {
    const existed = await this.#cache.has(key, FRESH);
    await this.#cache.delete(key);
    return existed;
  }

  /** Removes `keys`; true when every one of them held a value. */
  async deleteMany(keys: string[]): Promise<boolean> {
    const existed = await Promise.all(keys.map((key) => this.#cache.has(key, FRESH)));
    await this.#cache.deleteMany(keys);
    return existed.every(Boolean);
  }

  /** Whether `key` holds a value (never calls a loader). */
  async has(key: string): Promise<boolean> {
    return this.#cache.has(key, this.#read);
  }

  /**
   * Removes the keys of the current namespace: SCANs each Redis master for them and deletes them
   * through the cache (Redis, memory, and a bus message so other nodes drop them from memory
   * too); its cost grows with the keys in Redis. Without a namespace, `TieredCache.clear()`.
   */
  async clear(): Promise<void> {
    // No namespace: the cache's whole prefix, which TieredCache.clear empties on every node.
    if (this.namespace === undefined) return this.#cache.clear();
    const keyPrefix = this.#redis.options.keyPrefix ?? '';
    const cachePrefix = `${keyPrefix}${this.#cache.name}:`;
    const pattern = `${globEscape(`${cachePrefix}${this.namespace}:`)}*`;
    const masters = isCluster(this.#redis) ? this.#redis.nodes('master') : [this.#redis];
    for (const node of masters) {
      let cursor = '0';
      do {
        // SCAN patterns are not prefixed by ioredis: the pattern carries the keyPrefix itself.
        const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', CLEAR_BATCH);
        cursor = next;
        const keys = found
          .filter((key) => key.startsWith(cachePrefix))
          .map((key) => key.slice(cachePrefix.length));
        if (keys.length > 0) await this.#cache.deleteMany(keys);
      } while (cursor !== '0');
    }
  }

  /** Closes the TieredCache (never the Redis client, which stays the caller's). */
  async disconnect(): Promise<void> {
    await this.#cache.close();
  }
}

function isCluster(client: Redis | Cluster): client is Cluster {
  return typeof (client as Cluster).nodes === 'function';
}

/** Escapes the characters a Redis glob pattern treats specially. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
