import { EventEmitter } from 'node:events';
import { InvalidOptionTypeError } from '../errors.ts';
import { MemoryStore, type MemoryStoreOptions } from '../memory/index.ts';
import { decodeKeyvValue, encodeKeyvValue } from './keyv-value.ts';

/**
 * A Keyv storage adapter over a {@link MemoryStore}: `new Keyv({ store: new KeyvMemoryStore() })`,
 * and through Keyv a cache-manager 7 or cacheable store. Entries live in the store's byte arenas,
 * bounded by its `maxBytes`, with Keyv's TTL passed down as the entry's own lifetime.
 */
export class KeyvMemoryStore extends EventEmitter {
  /** Keyv reads adapter settings here; this adapter has none. */
  readonly opts: Record<string, unknown> = {};
  /**
   * Set by Keyv: keys arrive already prefixed with `<namespace>:`, and {@link clear} removes only
   * the keys with that prefix.
   */
  namespace: string | undefined;
  readonly #store: MemoryStore;
  readonly #ownsStore: boolean;

  /**
   * Wraps `store` (shared: never closed by the adapter), or creates and owns a MemoryStore from
   * `options` (default name `keyv`), closed by {@link disconnect}.
   */
  constructor(store: MemoryStore | MemoryStoreOptions = {}) {
    super();
    if (store instanceof MemoryStore) {
      this.#store = store;
      this.#ownsStore = false;
    } else if (typeof store === 'object' && store !== null) {
      this.#store = new MemoryStore({ name: 'keyv', ...store });
      this.#ownsStore = true;
    } else {
      throw new InvalidOptionTypeError('store', 'pass a MemoryStore or MemoryStore options');
    }
  }

  /** The MemoryStore the entries live in. */
  get store(): MemoryStore {
    return this.#store;
  }

  /** The value stored under `key`, or undefined. */
  async get<Value>(key: string): Promise<Value | undefined> {
    return decodeKeyvValue(this.#store.getString(key)) as Value | undefined;
  }

  /** The values stored under `keys`, in order, undefined where missing. */
  async getMany<Value>(keys: string[]): Promise<Array<Value | undefined>> {
    return keys.map((key) => decodeKeyvValue(this.#store.getString(key)) as Value | undefined);
  }

  /**
   * Stores `value` for `ttl` ms (the store's default lifetime when absent); returns false when the
   * store could not make room. Throws `EntryTooLargeError` above the store's `maxEntryBytes`.
   */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const encoded = encodeKeyvValue(value);
    return typeof ttl === 'number' && ttl > 0
      ? this.#store.set(key, encoded, { ttlMs: ttl })
      : this.#store.set(key, encoded);
  }

  /** Stores every entry, as {@link set} does. */
  async setMany(entries: Array<{ key: string; value: unknown; ttl?: number }>): Promise<void> {
    for (const { key, value, ttl } of entries) await this.set(key, value, ttl);
  }

  /** Removes `key`; true when a live entry was removed. */
  async delete(key: string): Promise<boolean> {
    return this.#store.delete(key);
  }

  /** Removes `keys`; true when every one of them was a live entry (as Keyv's own fallback says). */
  async deleteMany(keys: string[]): Promise<boolean> {
    let all = true;
    for (const key of keys) all = this.#store.delete(key) && all;
    return all;
  }

  /** Whether a live entry exists under `key`. */
  async has(key: string): Promise<boolean> {
    return this.#store.has(key);
  }

  /** Whether a live entry exists under each of `keys`. */
  async hasMany(keys: string[]): Promise<boolean[]> {
    return keys.map((key) => this.#store.has(key));
  }

  /**
   * Removes the keys of the current namespace (`<namespace>:...`), or every key of the store
   * when Keyv has no namespace.
   */
  async clear(): Promise<void> {
    if (this.namespace === undefined) {
      this.#store.clear();
      return;
    }
    const prefix = `${this.namespace}:`;
    // Collected first: deleting while the store's key iterator walks a shard is avoided.
    const doomed: string[] = [];
    for (const key of this.#store.keys()) if (key.startsWith(prefix)) doomed.push(key);
    for (const key of doomed) this.#store.delete(key);
  }

  /** Closes the MemoryStore when the adapter created it; a shared store is left open. */
  async disconnect(): Promise<void> {
    if (this.#ownsStore) this.#store.close();
  }
}
