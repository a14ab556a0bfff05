/**
 * The TieredCache: memory, then Redis, then the loader, as the story's go2cache server, with
 * batch reads through every tier, single-flight loads, negative caching, bus invalidation and
 * fail-open behaviour when Redis is slow or down.
 *
 * @module
 */
import { EventEmitter } from 'node:events';
import {
  CacheClosedError,
  CircuitOpenError,
  type EntryTooLargeError,
  InvalidArgumentError,
  RedisError,
  type TiercacheError,
  ValueTooLargeError,
} from '../errors.ts';
import { Breaker } from './breaker.ts';
import { Bus, type BusHandlers, type BusMessage } from './bus.ts';
import {
  checkKey,
  type GetOrSetOptions,
  isIterable,
  type KeyLoader,
  keyLoader,
  type ReadOptions,
  readPolicy,
  type WriteOptions,
  writeTtl,
} from './call-options.ts';
import {
  decodeEntry,
  decodeEntryAt,
  decodeEntryText,
  ENTRY_CORRUPT,
  ENTRY_MISSING,
  type EntryFault,
  type EntryShape,
  entryByteLength,
  expiryHeaderLength,
  expiryOf,
  MISSING_ENTRY,
  OWN_EXPIRY,
  readExpiry,
  withExpiry,
  withoutExpiry,
  wrap,
} from './envelope.ts';
import { ErrorReporter, type FaultTier } from './error-reporter.ts';
import { Lifetimes, memoryTtlUntil, redisEntry } from './lifetimes.ts';
import { type Loader, runLoader } from './loader.ts';
import { ABSENT, MemoryTier } from './memory-tier.ts';
import { type ResolvedOptions, resolveOptions, type TieredCacheOptions } from './options.ts';
import { DETACHED, NO_DEADLINE, type RawEntry, RedisTier, type RedisWrite } from './redis-tier.ts';
import { registerCache } from './registry.ts';
import {
  type FetchResult,
  type FlightBatch,
  flightAt,
  flightValue,
  isCurrent,
  SingleFlight,
  valueAt,
} from './single-flight.ts';
import { StatsCounters, type TieredCacheStats } from './stats.ts';

/** Events a TieredCache emits. */
export interface TieredCacheEvents {
  /**
   * A Redis command failed or timed out, bytes could not be decoded, the bus failed, a value was
   * too large for a tier, or the loader failed where a stale value was served in its place.
   */
  error: [error: TiercacheError | Error];
}

/** A memory → Redis → loader cache. */
export class TieredCache<V> extends EventEmitter<TieredCacheEvents> {
  /** The cache's name: Redis key prefix and bus channel. */
  readonly name: string;
  readonly #options: ResolvedOptions<V>;
  readonly #prefix: string;
  readonly #memory: MemoryTier<V> | null;
  readonly #redis: RedisTier | null;
  readonly #breaker: Breaker | null;
  readonly #bus: Bus | null;
  readonly #flights = new SingleFlight<V>();
  readonly #stats = new StatsCounters();
  readonly #lifetimes: Lifetimes;
  readonly #report: ErrorReporter;
  readonly #unregister: () => void;
  readonly #decodeText: ((text: string) => V) | null;
  /** Where {@link redisExpiry} parses an expiry header: one per cache, not one per entry. */
  readonly #expiry = { at: 0 };
  /** Where a corrupt Redis entry's error lands (see decodeEntry): one per cache, not per read. */
  readonly #fault: EntryFault = { error: undefined };
  /** Where decodeEntryAt tells whether an entry read from Redis is ASCII (for the back-fill). */
  readonly #shape: EntryShape = { ascii: 0 };
  /** Entries carry a logical expiry (`graceMs` or `refreshAheadMs`): see MemoryTier. */
  readonly #timed: boolean;
  #closed = false;

  constructor(options: TieredCacheOptions<V>) {
    super();
    const resolved = resolveOptions(options);
    this.#options = resolved;
    this.name = resolved.name;
    this.#prefix = `${resolved.name}:`;
    this.#report = new ErrorReporter(resolved.name, this, this.#stats);
    this.#lifetimes = new Lifetimes(resolved, resolved.redis !== null);
    this.#memory = resolved.memory
      ? new MemoryTier({
          store: resolved.memory,
          owned: resolved.ownsMemory,
          prefix: this.#prefix,
          codec: resolved.codec,
          graceMs: resolved.graceMs,
          refreshAheadMs: resolved.refreshAheadMs,
          hotSet: resolved.hotSet,
        })
      : null;
    this.#timed = resolved.graceMs > 0 || resolved.refreshAheadMs > 0;
    this.#decodeText = resolved.codec.decodeText?.bind(resolved.codec) ?? null;
    const report = this.#report;
    this.#breaker = resolved.breaker
      ? new Breaker(resolved.breaker, resolved.now, (state) => report.breaker(state))
      : null;
    this.#redis = resolved.redis
      ? new RedisTier({
          client: resolved.redis,
          timeoutMs: resolved.redisTimeoutMs,
          batchSize: resolved.redisBatchSize,
          breaker: this.#breaker,
          report: (operation, error) => report.redis(operation, error),
          name: resolved.name,
        })
      : null;
    this.#bus = resolved.redis && resolved.bus ? new Bus(`${this.#prefix}bus`) : null;
    if (this.#bus && resolved.redis && this.#memory) {
      this.#bus.listen(resolved.redis, TieredCache.#busHandlers(new WeakRef(this)));
      busFinalizer.register(this, this.#bus, this.#bus);
    }
    this.#unregister = registerCache(this);
  }

  /**
   * The bus reaches the cache only through a WeakRef, and a cache dropped without close() has its
   * subscriber closed when collected: an open socket must not keep the cache alive. A static
   * method, because closures created in the constructor would share its context, `this` included.
   */
  static #busHandlers<V>(ref: WeakRef<TieredCache<V>>): BusHandlers {
    return {
      onInvalidate: (message) => {
        const cache = ref.deref();
        if (cache) cache.#onBusMessage(message);
      },
      onSubscribed: (reconnected) => {
        const cache = ref.deref();
        if (cache) cache.#onBusSubscribed(reconnected);
      },
      onError: (error, repeat) => {
        const cache = ref.deref();
        if (cache && !cache.#closed) cache.#report.bus(error, repeat);
      },
    };
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Reads one key (`fresh` by default: Redis, then the loader). Not an async function: a memory
   * hit answers with an already-resolved promise without an async frame (≈ 0.07 µs of the
   * cache's ≈ 0.4 µs per hit); every failure still arrives as a rejection, never a throw.
   */
  get(key: string, options?: ReadOptions): Promise<V | undefined> {
    const memory = this.#memory;
    // A hot set member first: one Map look-up, answered with the member's own resolved promise.
    // Only a valid key of an open cache can be a member (close() empties the hot set), so the
    // checks below are skipped only for calls that would pass them.
    let pastHot = false;
    if (
      memory !== null &&
      memory.hot !== null &&
      (options == null ? this.#redis === null : options.read === 'fast')
    ) {
      const hit = memory.hotHit(key);
      if (hit !== undefined) {
        this.#stats.memoryHits++;
        return hit;
      }
      pastHot = true;
    }
    try {
      this.#assertOpen();
      checkKey(key);
      const read = readPolicy(options, 'fresh');
      if (memory !== null && (read === 'fast' || this.#redis === null)) {
        const entry = pastHot ? memory.readPastHot(key) : memory.read(key);
        if (entry !== ABSENT) {
          if (entry !== ENTRY_CORRUPT) {
            this.#stats.memoryHits++;
            if (memory.refreshDue) {
              this.#refreshAhead(key, this.#options.load, this.#options.ttlMs);
            }
            return Promise.resolve(entry === ENTRY_MISSING ? undefined : entry);
          }
          this.#corrupt('memory', key, memory.fault.error!);
        }
        this.#stats.memoryMisses++;
      }
      return this.#readOneBelowMemory(key);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Reads many keys (`fast` by default: memory, then Redis, then the loader); the result is
   * aligned with `keys`, duplicates included, and an empty list answers `[]` without I/O.
   */
  async getMany(keys: readonly string[], options?: ReadOptions): Promise<Array<V | undefined>> {
    this.#assertOpen();
    if (!Array.isArray(keys))
      throw new InvalidArgumentError('getMany(keys): keys must be an array of strings');
    const read = readPolicy(options, 'fast');
    if (keys.length === 0) return [];
    if (this.#memory === null || (read === 'fresh' && this.#redis !== null)) {
      // Memory is not consulted, so nothing counts per distinct key here: the single-flight table
      // folds repeated keys into one flight itself, which spares a dedupe pass over the batch.
      for (let i = 0; i < keys.length; i++) checkKey(keys[i]);
      return this.#readBelowMemory(keys);
    }
    const memory = this.#memory;
    if (memory.store.size === 0) {
      // An empty store (a new cache's) answers nothing: no look-up per key (each builds the
      // prefixed key and hashes it), and no dedupe pass either: the keys go below memory as they
      // are, where the single-flight table folds repeats into one flight and #readBelowMemory
      // counts one memory miss per distinct key.
      for (let i = 0; i < keys.length; i++) checkKey(keys[i]);
      return this.#readBelowMemory(keys, true);
    }
    // Each distinct key is read once; `slots` maps every input position to its distinct key.
    const unique: string[] = [];
    const slots = new Uint32Array(keys.length);
    const seen = new Map<string, number>();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      checkKey(key);
      let slot = seen.get(key);
      if (slot === undefined) {
        slot = unique.length;
        seen.set(key, slot);
        unique.push(key);
      }
      slots[i] = slot;
    }
    const values = new Array<V | undefined>(unique.length);
    const pending: number[] = [];
    for (let i = 0; i < unique.length; i++) {
      const key = unique[i]!;
      const entry = memory.read(key);
      if (entry !== ABSENT) {
        if (entry !== ENTRY_CORRUPT) {
          this.#stats.memoryHits++;
          values[i] = entry === ENTRY_MISSING ? undefined : entry;
          if (memory.refreshDue) this.#refreshAhead(key, this.#options.load, this.#options.ttlMs);
          continue;
        }
        this.#corrupt('memory', key, memory.fault.error!);
      }
      this.#stats.memoryMisses++;
      pending.push(i);
    }
    if (pending.length > 0) {
      // Distinct (deduped above): the single-flight table need not fold repeats.
      const below = await this.#readBelowMemory(
        pending.map((i) => unique[i]!),
        false,
        true,
      );
      for (let j = 0; j < pending.length; j++) values[pending[j]!] = below[j];
    }
    return unique.length === keys.length ? values : realign(values, slots);
  }

  /**
   * Reads one key as `get` does, and on a miss calls `loader(key)` for it, stores the result in
   * both tiers (`ttlMs` from `options`, else the cache's) and returns it decoded, as later hits
   * will. Single-flight with every other read of the key: a fetch already in flight for it (by
   * `get`, `getMany` or another `getOrSet`) is joined, not repeated. `graceMs` and
   * `refreshAheadMs` apply with `loader` as the source.
   */
  getOrSet(key: string, loader: KeyLoader<V>, options?: GetOrSetOptions): Promise<V | undefined> {
    try {
      this.#assertOpen();
      checkKey(key);
      if (typeof loader !== 'function') {
        throw new InvalidArgumentError(
          `getOrSet("${key}", loader): loader must be a function (key) => value, got ${typeof loader}`,
        );
      }
      const read = readPolicy(options, 'fresh');
      const ttlMs = writeTtl(options, this.#options.ttlMs);
      const load = keyLoader(loader);
      const memory = this.#memory;
      if (memory !== null && (read === 'fast' || this.#redis === null)) {
        const entry = memory.read(key);
        if (entry !== ABSENT) {
          if (entry !== ENTRY_CORRUPT) {
            this.#stats.memoryHits++;
            if (memory.refreshDue) this.#refreshAhead(key, load, ttlMs);
            return Promise.resolve(entry === ENTRY_MISSING ? undefined : entry);
          }
          this.#corrupt('memory', key, memory.fault.error!);
        }
        this.#stats.memoryMisses++;
      }
      return this.#getOrSetBelowMemory(key, load, ttlMs);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Whether the cache holds a fresh value for `key` (`fresh` by default: Redis when there is
   * one; `fast`: memory first). Never calls the loader and never fills a tier; a key remembered
   * as missing (`negativeTtlMs`), past its TTL, or unreadable because Redis failed is `false`.
   */
  async has(key: string, options?: ReadOptions): Promise<boolean> {
    this.#assertOpen();
    checkKey(key);
    const read = readPolicy(options, 'fresh');
    const memory = this.#memory;
    if (memory !== null && (read === 'fast' || this.#redis === null)) {
      const entry = memory.read(key);
      memory.refreshDue = false;
      if (entry === ENTRY_CORRUPT) this.#corrupt('memory', key, memory.fault.error!);
      else if (entry !== ABSENT) return entry !== ENTRY_MISSING;
    }
    if (this.#redis === null) return false;
    const raw = await this.#redis.get(this.#prefix + key);
    if (this.#closed) throw new CacheClosedError(this.name);
    // null: not in Redis; undefined: Redis failed (already reported).
    if (raw === null || raw === undefined) return false;
    const expiresAt = expiryOf(raw);
    if (this.#timed && expiresAt !== 0 && !(expiresAt > Date.now())) return false;
    const entry = this.#decodeRaw(withoutExpiry(raw));
    if (entry === ENTRY_CORRUPT) {
      this.#corrupt('redis', key, this.#fault.error!);
      return false;
    }
    return entry !== ENTRY_MISSING;
  }

  /**
   * Empties the cache's whole namespace: its memory entries, every Redis key under its prefix
   * (`SCAN` + `UNLINK` in batches, on every master of a cluster), and, over the bus, the memory
   * of every other node. Other caches on the same Redis or store are untouched. Not atomic: a
   * write made while the clear runs may or may not survive it. A Redis failure throws when
   * `strict`, otherwise it is reported (other nodes are told either way).
   */
  async clear(): Promise<void> {
    this.#assertOpen();
    this.#flights.forgetAll();
    this.#memory?.clear();
    let failure: unknown;
    if (this.#redis) {
      try {
        await this.#redis.unlinkPrefix(this.#prefix);
      } catch (error) {
        failure = error;
      }
      // Reads that raced the scan may have back-filled memory with what it was deleting.
      this.#flights.forgetAll();
      this.#memory?.clear();
    }
    if (failure === undefined) {
      await this.#publish({ clear: true });
      return;
    }
    // The failed step used up its timeout: the bus message is sent detached (other nodes hear
    // of the clear when Redis answers again); the failure is reported once.
    await this.#publish({ clear: true }, DETACHED, false, true);
    this.#failedWrite('UNLINK', failure);
  }

  /** Writes a value to Redis, then memory, then tells other nodes; `undefined` is refused. */
  async set(key: string, value: V, options?: WriteOptions): Promise<void> {
    await this.#setMany([[key, value]], options, this.#options.strict);
  }

  /** Writes many values (pipelined per slot group), then tells other nodes in one message. */
  async setMany(entries: Iterable<readonly [string, V]>, options?: WriteOptions): Promise<void> {
    await this.#setMany(entries, options, this.#options.strict);
  }

  /**
   * {@link set}, answering whether Redis took the write: `true` when Redis stored it (or the
   * cache has no Redis), `false` when it could not (timed out, refused, breaker open; reported as
   * an `error` event, never thrown, even when `strict`). Either way memory no longer holds the
   * old value. Bad input still throws.
   */
  trySet(key: string, value: V, options?: WriteOptions): Promise<boolean> {
    return this.#setMany([[key, value]], options, false);
  }

  /** {@link setMany}, answering whether Redis took every write, as {@link trySet} does. */
  trySetMany(entries: Iterable<readonly [string, V]>, options?: WriteOptions): Promise<boolean> {
    return this.#setMany(entries, options, false);
  }

  /**
   * The writes: Redis first, memory once Redis has them, then one bus message, all Redis commands
   * within one `redisTimeoutMs` deadline. Resolves whether Redis took every write; a failure
   * throws when `strict`, else it is reported.
   */
  async #setMany(
    entries: Iterable<readonly [string, V]>,
    options: WriteOptions | undefined,
    strict: boolean,
  ): Promise<boolean> {
    this.#assertOpen();
    if (!isIterable(entries)) {
      throw new InvalidArgumentError(
        'setMany(entries): entries must be an iterable of [key, value] pairs (an array or a Map)',
      );
    }
    const ttlMs = writeTtl(options, this.#options.ttlMs);
    // Everything is validated and encoded before the first write: bad input changes nothing.
    const writes: Array<[key: string, entry: RawEntry]> = [];
    for (const entry of entries) {
      if (!Array.isArray(entry) || entry.length < 2) {
        throw new InvalidArgumentError('setMany(entries): each entry must be a [key, value] pair');
      }
      const [key, value] = entry;
      checkKey(key);
      if (value === undefined) {
        throw new InvalidArgumentError(
          `set("${key}"): undefined is not storable (it means "missing"); store null instead`,
        );
      }
      writes.push([key, wrap(this.#options.codec, value)]);
    }
    if (writes.length === 0) return true;
    const dropped = this.#checkSizes(writes);
    const deadline = this.#redis?.deadline() ?? NO_DEADLINE;
    if (writes.length === 0) {
      await this.#dropTooLarge(dropped!, deadline);
      await this.#publish({ keys: dropped! }, deadline, strict);
      return true;
    }
    // Every key this call changed, for the bus: the written ones and the ones dropped for size.
    const told = writes.map(([key]) => key);
    if (dropped !== null) for (const key of dropped) told.push(key);
    // Reads in flight may have seen the old state: detach them now, and again once Redis has the
    // write (a read that started in between may have read Redis before the write landed).
    for (const [key] of writes) this.#flights.forget(key);
    const full = writes.map(([key]) => this.#prefix + key);
    // One jittered lifetime per key, given to both tiers: memory must not outlive Redis.
    const lifetimes = writes.map(() => this.#lifetimes.jitter(ttlMs));
    if (this.#redis) {
      const now = Date.now();
      const redisWrites = writes.map(
        ([, entry], i): RedisWrite => [
          full[i]!,
          redisEntry(entry, lifetimes[i]!, now),
          this.#lifetimes.redisPx(lifetimes[i]!),
        ],
      );
      if (dropped !== null) await this.#dropTooLarge(dropped, deadline);
      try {
        await this.#redis.setMany(redisWrites, false, deadline);
        this.#stats.redisSets += writes.length;
      } catch (error) {
        for (const [key] of writes) this.#flights.forget(key);
        // Redis may not have the value: memory must not serve it as if it had, nor the old one.
        for (const [key] of writes) this.#memoryDelete(key);
        if (error instanceof RedisError) {
          // Redis answered, refusing the write (out of memory, a read-only replica): its old
          // value must not outlive the write either, or the writer's next read (from Redis)
          // would return what it just replaced. DEL is allowed under `maxmemory`.
          try {
            await this.#redis.del(full, deadline, false);
          } catch {
            // The write's failure is already reported, once.
          }
        }
        // Other nodes are told even when this throws (the value may still land in Redis).
        await this.#publish({ keys: told }, deadline, strict, true);
        this.#failedWrite('SET', error, strict);
        return false;
      }
      for (const [key] of writes) this.#flights.forget(key);
    }
    for (let i = 0; i < writes.length; i++) {
      const [key, entry] = writes[i]!;
      const lifetime = lifetimes[i]!;
      this.#memorySet(
        key,
        entry,
        this.#lifetimes.memory(lifetime),
        this.#lifetimes.atSource(lifetime),
      );
    }
    await this.#publish({ keys: told }, deadline, strict);
    return true;
  }

  /**
   * Checks the encoded values of a write against the tiers' size limits. `strict`: throws the
   * first `ValueTooLargeError`, before anything is written. Otherwise values too large for Redis
   * are reported and taken out of `writes` (their keys, returned, are then dropped everywhere so
   * no older value is served); a value too large only for memory is reported when memory
   * refuses it.
   */
  #checkSizes(writes: Array<[key: string, entry: RawEntry]>): string[] | null {
    const { maxValueBytes, strict } = this.#options;
    const memory = this.#memory;
    let dropped: string[] | null = null;
    for (let i = 0; i < writes.length; i++) {
      const [key, entry] = writes[i]!;
      if (this.#redis !== null) {
        const bytes = entryByteLength(entry);
        if (bytes > maxValueBytes) {
          const error = new ValueTooLargeError(key, bytes, maxValueBytes, 'maxValueBytes', 'Redis');
          if (strict) throw error;
          this.#tooLarge(error);
          dropped ??= [];
          dropped.push(key);
          continue;
        }
      }
      if (strict && memory !== null) {
        const bytes = memory.entryBytes(key, entry);
        if (bytes > memory.maxEntryBytes) {
          throw new ValueTooLargeError(
            key,
            bytes,
            memory.maxEntryBytes,
            'memory.maxEntryBytes',
            'memory',
          );
        }
      }
    }
    if (dropped !== null) {
      const refused = new Set(dropped);
      let kept = 0;
      for (const write of writes) if (!refused.has(write[0])) writes[kept++] = write;
      writes.length = kept;
    }
    return dropped;
  }

  /** Drops keys whose new value was refused for its size from both tiers (reported, never thrown). */
  async #dropTooLarge(keys: readonly string[], deadline: number): Promise<void> {
    for (const key of keys) {
      this.#flights.forget(key);
      this.#memoryDelete(key);
    }
    try {
      await this.#redis?.del(
        keys.map((key) => this.#prefix + key),
        deadline,
      );
    } catch {
      // Reported by the Redis tier.
    }
  }

  /** Deletes a key from Redis and memory, and tells other nodes. */
  async delete(key: string): Promise<void> {
    await this.#deleteMany([key], this.#options.strict);
  }

  /** Deletes keys from Redis (one `DEL` per slot group) and memory, and tells other nodes. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    await this.#deleteMany(keys, this.#options.strict);
  }

  /**
   * {@link delete}, answering whether Redis took it: `true` when Redis deleted the key (or the
   * cache has no Redis), `false` when it could not (reported as an `error` event, never thrown).
   * Memory drops the key either way.
   */
  tryDelete(key: string): Promise<boolean> {
    return this.#deleteMany([key], false);
  }

  /** {@link deleteMany}, answering whether Redis took it, as {@link tryDelete} does. */
  tryDeleteMany(keys: readonly string[]): Promise<boolean> {
    return this.#deleteMany(keys, false);
  }

  /** The deletes, `DEL` and the bus message within one `redisTimeoutMs` deadline. */
  async #deleteMany(keys: readonly string[], strict: boolean): Promise<boolean> {
    this.#assertOpen();
    if (!Array.isArray(keys))
      throw new InvalidArgumentError('deleteMany(keys): keys must be an array of strings');
    for (const key of keys) checkKey(key);
    if (keys.length === 0) return true;
    for (const key of keys) this.#flights.forget(key);
    const full = keys.map((key) => this.#prefix + key);
    let took = true;
    let failure: unknown;
    const deadline = this.#redis?.deadline() ?? NO_DEADLINE;
    if (this.#redis) {
      try {
        await this.#redis.del(full, deadline);
      } catch (error) {
        took = false;
        failure = error;
      }
      for (const key of keys) this.#flights.forget(key);
    }
    // Memory drops the keys either way: a strict caller that catches retries from a clean state.
    for (const key of keys) this.#memoryDelete(key);
    // Other nodes are told even when this throws (the DEL may still reach Redis).
    await this.#publish({ keys: [...keys] }, deadline, strict, !took);
    if (!took) this.#failedWrite('DEL', failure, strict);
    return took;
  }

  /** A frozen snapshot of the counters. */
  stats(): TieredCacheStats {
    this.#stats.redisSkipped = this.#redis?.skipped ?? 0;
    this.#stats.memorySets = this.#memory?.sets ?? 0;
    const hot = this.#memory?.hot;
    if (hot) {
      this.#stats.hotEntries = hot.size;
      this.#stats.hotBytes = hot.bytes;
      this.#stats.hotHits = hot.hits;
      this.#stats.hotAdmitted = hot.admitted;
    }
    return this.#stats.snapshot(
      this.name,
      this.#breaker && this.#redis ? this.#breaker.state : 'disabled',
    );
  }

  /**
   * Ends what the cache owns: the bus subscriber it duplicated, its own memory store, and the
   * wait for commands in flight. A Redis client passed in stays open. Prompt even when Redis
   * does not answer.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unregister();
    if (this.#bus) {
      busFinalizer.unregister(this.#bus);
      this.#bus.close();
    }
    this.#redis?.close();
    this.#flights.forgetAll();
    this.#memory?.close();
  }

  async #readOneBelowMemory(key: string): Promise<V | undefined> {
    const [value] = await this.#readBelowMemory([key]);
    return value;
  }

  /**
   * Keys that memory did not answer: joined to fetches already in flight, the rest fetched
   * together (one MGET per slot group, then one call of the cache's loader). The keys may
   * repeat (getMany's `memory: false` / `read: 'fresh'` path and its empty-store path pass the
   * caller's keys as they are): the single-flight table folds repeats, and `countMisses`
   * counts one memory miss per distinct key; `distinct` says the caller deduped them already.
   * `keys` is read only before the first await.
   */
  async #readBelowMemory(
    keys: readonly string[],
    countMisses = false,
    distinct = false,
  ): Promise<Array<V | undefined>> {
    const load = this.#options.load;
    if (!this.#redis && load === null) {
      if (countMisses) this.#stats.memoryMisses += new Set(keys).size;
      return new Array<V | undefined>(keys.length).fill(undefined);
    }
    const ttlMs = this.#options.ttlMs;
    // Flights are keyed by the caller's key strings (not prefixed copies): their hashes are
    // usually cached already, which keeps a 1000-key batch's bookkeeping cheap.
    const loaded = this.#flights.load(
      keys,
      (batchKeys, batch) => this.#fetch(batchKeys, batch, load, ttlMs, false),
      distinct,
    );
    if (!Array.isArray(loaded)) {
      // Usually: the batch this call started, with every key new and distinct, so its positions
      // are the call's (no flight per key was made) and no miss count per distinct key is needed.
      if (countMisses) this.#stats.memoryMisses += keys.length;
      await loaded.done;
      // close() cut the fetch short: its `undefined`s would read as "missing", which they are not.
      if (this.#closed) throw new CacheClosedError(this.name);
      // Copied (joiners read the batch too, and the caller owns its result), by index so that
      // no hole is left.
      const { values, failed } = loaded;
      const out = new Array<V | undefined>(values.length);
      if (failed === null) for (let i = 0; i < values.length; i++) out[i] = values[i];
      else for (let i = 0; i < values.length; i++) out[i] = valueAt(loaded, i);
      return out;
    }
    // Joined other reads' fetches, or folded repeats: one flight per key, maybe several batches.
    // `keys` may repeat (a getMany over an empty store skips its dedupe): one miss per distinct key.
    if (countMisses) this.#stats.memoryMisses += new Set(keys).size;
    const first = loaded[0]!.batch;
    if (loaded.every((flight) => flight.batch === first)) await first.done;
    else await Promise.all(new Set(loaded.map((flight) => flight.batch.done)));
    if (this.#closed) throw new CacheClosedError(this.name);
    return loaded.map((flight) => flightValue(flight));
  }

  /**
   * `getOrSet` below memory: joins the key's flight or starts one with `load`. A joined fetch
   * that had no loader to call (a `get` on a cache without `load`) did not answer a miss for
   * this call: it then fetches again with its own loader (at most twice more).
   */
  async #getOrSetBelowMemory(key: string, load: Loader<V>, ttlMs: number): Promise<V | undefined> {
    for (let attempt = 0; ; attempt++) {
      const keys = [key];
      const { batch, index } = flightAt(
        this.#flights.load(keys, (batchKeys, started) =>
          this.#fetch(batchKeys, started, load, ttlMs, false),
        ),
        0,
      );
      await batch.done;
      if (this.#closed) throw new CacheClosedError(this.name);
      const value = valueAt(batch, index);
      if (value !== undefined || batch.loaded || attempt === 2) return value;
    }
  }

  /**
   * Reloads `key` in the background because a read found it close to its expiry
   * (`refreshAheadMs`): once per key at a time (a fetch in flight for it is enough), never
   * awaited; a loader failure becomes an `error` event, and the entry stays until it expires.
   */
  #refreshAhead(key: string, load: Loader<V> | null, ttlMs: number): void {
    if (this.#memory) this.#memory.refreshDue = false;
    if (load === null || this.#closed || this.#flights.has(key)) return;
    this.#stats.refreshes++;
    const { batch, index } = flightAt(
      this.#flights.load([key], (batchKeys, started) =>
        this.#fetch(batchKeys, started, load, ttlMs, true),
      ),
      0,
    );
    void batch.done.then(() => {
      if (batch.failed?.[index] && !this.#closed) this.#report.emit(toError(batch.error));
    });
  }

  /**
   * Fetches a batch from Redis (skipped when `reload`), then `load`; back-fills memory with what
   * Redis held, and returns the values with the back-fill of loaded values into both tiers still
   * in progress. Under `graceMs`, a key whose loader call failed (or, without a loader, whose
   * Redis read failed) is answered with the last value still held past its TTL, if any.
   */
  async #fetch(
    keys: readonly string[],
    batch: FlightBatch<V>,
    load: Loader<V> | null,
    ttlMs: number,
    reload: boolean,
  ): Promise<FetchResult<V>> {
    const epoch = this.#memory?.epoch ?? 0;
    const result: FetchResult<V> = {
      values: new Array<V | undefined>(keys.length),
      failed: null,
      error: undefined,
      settled: null,
      loaded: load !== null,
    };
    const found =
      this.#redis === null || reload
        ? allPending(keys.length)
        : await this.#readRedis(this.#redis, keys, batch, result.values, epoch, load !== null);
    if (found.pending.length > 0 && !this.#closed) {
      if (load !== null)
        await this.#loadMissing(result, keys, batch, found, load, ttlMs, reload, epoch);
      else if (found.unreadable !== null) {
        this.#serveStale(keys, found.unreadable, null, result.values, undefined);
      }
    }
    if (found.refresh !== null && load !== null) {
      // Once this fetch has left the flight table: a refresh never joins a fetch in flight.
      const refresh = found.refresh;
      void Promise.resolve(result.settled).then(() =>
        setImmediate(() => {
          for (const key of refresh) this.#refreshAhead(key, load, ttlMs);
        }),
      );
    }
    return result;
  }

  /**
   * Reads `keys` from Redis into `values`: decodes hits, back-fills memory with them (unless a
   * write or a clear since the read made them stale), and tells what is left for the loader.
   */
  async #readRedis(
    redis: RedisTier,
    keys: readonly string[],
    batch: FlightBatch<V>,
    values: Array<V | undefined>,
    epoch: number,
    loader: boolean,
  ): Promise<RedisFound> {
    const fullKeys = keys.map((key) => this.#prefix + key);
    const memory = this.#memory;
    // Bytes, even for a text codec (see RedisTier.mget): each value is decoded in place behind
    // its header (one UTF-8 decoding, no sub-view, no string slices), and with memory on the
    // back-fill copies those same bytes without re-encoding.
    const raws =
      fullKeys.length === 1 ? [await redis.get(fullKeys[0]!)] : await redis.mget(fullKeys);
    const found: RedisFound = { pending: [], stale: null, unreadable: null, refresh: null };
    const timed = this.#timed;
    const now = Date.now();
    // The back-fill, written to memory in one batch once every entry is decoded: per-entry
    // arrays aligned with `keys` (an entry not to write keeps a negative lifetime), so collecting
    // it copies no key and no entry. Made up front (a batch from Redis is mostly hits), and read
    // through locals in the loop.
    const fill = memory !== null ? newBackfill(fullKeys.length, timed) : null;
    const fillStarts = fill?.starts;
    const fillTtl = fill?.ttlMs;
    const fillAscii = fill?.ascii;
    let filled = 0;
    const memoryTtlMs = this.#options.memoryTtlMs;
    for (let i = 0; i < fullKeys.length; i++) {
      const raw = raws[i];
      if (raw === undefined || raw === null) {
        // undefined: Redis failed or was skipped (already reported); null: not in Redis.
        if (raw === null) this.#stats.redisMisses++;
        else if (timed) {
          found.unreadable ??= [];
          found.unreadable.push(i);
        }
        found.pending.push(i);
        continue;
      }
      const expiresAt = redisExpiry(raw, this.#expiry);
      if (timed && expiresAt !== 0 && !(expiresAt > now)) {
        // Past its TTL: a miss, whose bytes are kept to serve if the loader fails.
        this.#stats.redisMisses++;
        found.stale ??= new Array<RawEntry | undefined>(keys.length);
        found.stale[i] = withoutExpiry(raw);
        found.pending.push(i);
        continue;
      }
      // Bytes are read in place behind their expiry header (no sub-view per entry): decoded from
      // `start` on, and back-filled as (raw, start).
      const start = expiryHeaderLength(raw);
      const entry = decodeEntryAt(
        this.#options.codec,
        this.#decodeText,
        raw,
        start,
        this.#fault,
        this.#shape,
      );
      if (entry === ENTRY_CORRUPT) {
        this.#corrupt('redis', keys[i]!, this.#fault.error!);
        this.#stats.redisMisses++;
        found.pending.push(i);
        continue;
      }
      this.#stats.redisHits++;
      const missing = entry === ENTRY_MISSING;
      values[i] = missing ? undefined : entry;
      // Back-fill memory with what Redis holds, as it is (no re-encoding), for no longer than
      // Redis keeps it, unless a write since the read made it stale (the position was detached;
      // a clear is checked once, before the write).
      if (fillTtl !== undefined && isCurrent(batch, i)) {
        const base = missing ? this.#lifetimes.negativeMemory() : memoryTtlMs;
        const ttl = memoryTtlUntil(base, expiresAt, now);
        if (ttl >= 0) {
          filled++;
          fillStarts![i] = start;
          fillTtl[i] = ttl;
          fillAscii![i] = this.#shape.ascii;
          if (timed) {
            fill!.atSource![i] = expiresAt !== 0 && ttl === expiresAt - now ? 1 : 0;
            fill!.grace![i] = missing ? 0 : 1;
          }
        }
      }
      if (
        timed &&
        loader &&
        !missing &&
        expiresAt !== 0 &&
        expiresAt - now < this.#options.refreshAheadMs
      ) {
        found.refresh ??= [];
        found.refresh.push(keys[i]!);
      }
    }
    if (fill !== null && filled > 0 && memory !== null && !this.#closed && epoch === memory.epoch) {
      memory.setMany(
        keys,
        fullKeys,
        raws as readonly Buffer[],
        fill.starts,
        fill.ttlMs,
        fill.ascii,
        fill.atSource,
        fill.grace,
        this.#onTooLarge,
      );
    }
    return found;
  }

  /**
   * Calls `load` for the keys Redis did not answer and puts the codec's round trip of each value
   * in `result.values` (what a later hit returns); starts their back-fill (`result.settled`).
   * A loader failure fails those keys, unless a value past its TTL is still held (graceMs).
   */
  async #loadMissing(
    result: FetchResult<V>,
    keys: readonly string[],
    batch: FlightBatch<V>,
    found: RedisFound,
    load: Loader<V>,
    ttlMs: number,
    reload: boolean,
    epoch: number,
  ): Promise<void> {
    const { values } = result;
    const { pending } = found;
    let loaded: (key: string) => V | undefined;
    try {
      loaded = await this.#load(
        load,
        pending.map((i) => keys[i]!),
      );
    } catch (error) {
      // Keys Redis answered still succeed; only the loaded keys' callers see the loader's error.
      const failed = this.#timed
        ? this.#serveStale(keys, pending, found.stale, values, error)
        : pending;
      if (failed.length > 0) {
        result.error = error;
        result.failed = new Uint8Array(keys.length);
        for (const i of failed) result.failed[i] = 1;
      }
      return;
    }
    const backfill: Array<[key: string, entry: RawEntry | undefined, index: number]> = [];
    for (const i of pending) {
      const key = keys[i]!;
      const value = loaded(key);
      if (value === undefined) {
        backfill.push([key, undefined, i]);
        continue;
      }
      let entry: RawEntry;
      try {
        entry = wrap(this.#options.codec, value);
      } catch (error) {
        // The caller still gets the loaded value; it just cannot be cached.
        this.#corrupt('loader', key, error as TiercacheError);
        values[i] = value;
        continue;
      }
      // A miss answers what a later hit will: the codec's round trip, not the loader's object.
      const decoded = this.#decodeWrapped(entry);
      if (decoded === ENTRY_CORRUPT) {
        this.#corrupt('loader', key, this.#fault.error!);
        values[i] = value;
        continue;
      }
      values[i] = decoded === ENTRY_MISSING ? undefined : decoded;
      backfill.push([key, entry, i]);
    }
    const toMemory = epoch === (this.#memory?.epoch ?? 0);
    result.settled = this.#backfill(backfill, batch, toMemory, ttlMs, reload);
  }

  /**
   * Answers the keys at `positions` with the last value held past its TTL: Redis's copy from
   * this fetch (`stale`), else memory's. Returns the positions that have none. When a value was
   * served in place of the loader's error, the error becomes an `error` event.
   */
  #serveStale(
    keys: readonly string[],
    positions: readonly number[],
    stale: ReadonlyArray<RawEntry | undefined> | null,
    values: Array<V | undefined>,
    error: unknown,
  ): number[] {
    const none: number[] = [];
    let served = 0;
    for (const i of positions) {
      const raw = stale?.[i];
      let entry: V | typeof ENTRY_MISSING | typeof ENTRY_CORRUPT | typeof ABSENT = ABSENT;
      if (raw !== undefined) entry = this.#decodeRaw(raw);
      if (entry === ABSENT || entry === ENTRY_CORRUPT)
        entry = this.#memory?.readStale(keys[i]!) ?? ABSENT;
      if (entry === ABSENT || entry === ENTRY_CORRUPT || entry === ENTRY_MISSING) {
        none.push(i);
        continue;
      }
      values[i] = entry;
      served++;
    }
    if (served > 0) {
      this.#stats.staleServed += served;
      if (error !== undefined) this.#report.emit(toError(error));
    }
    return none;
  }

  /** One loader call; counts it and reports failures to the channel. */
  async #load(load: Loader<V>, keys: string[]): Promise<(key: string) => V | undefined> {
    this.#stats.loads++;
    this.#stats.keysLoaded += keys.length;
    try {
      return await runLoader(load, keys);
    } catch (error) {
      this.#report.loader(keys, error);
      throw error;
    }
  }

  /**
   * Writes loaded entries (`undefined`: the loader has no such key) to memory (when `toMemory`),
   * then Redis in one pipeline. A back-fill follows a miss, so it only adds (`NX`); a refresh
   * (`overwrite`) replaces the entry it reloaded, and drops a key the source no longer has.
   */
  async #backfill(
    loaded: Array<[key: string, entry: RawEntry | undefined, index: number]>,
    batch: FlightBatch<V>,
    toMemory: boolean,
    ttlMs: number,
    overwrite: boolean,
  ): Promise<void> {
    if (this.#closed) return;
    const writes: RedisWrite[] = [];
    const gone: string[] = [];
    const { negativeTtlMs, maxValueBytes } = this.#options;
    const now = Date.now();
    for (const [key, entry, index] of loaded) {
      // Detached by a write since the load: its callers have the value, the tiers do not.
      if (!isCurrent(batch, index)) continue;
      const fullKey = this.#prefix + key;
      if (entry === undefined) {
        this.#stats.notFound++;
        if (negativeTtlMs === 0) {
          if (overwrite) gone.push(key);
          continue;
        }
        if (toMemory)
          this.#memorySet(key, MISSING_ENTRY, this.#lifetimes.negativeMemory(), false, false);
        writes.push([fullKey, withExpiry(MISSING_ENTRY, now + negativeTtlMs), negativeTtlMs]);
        continue;
      }
      if (this.#redis !== null) {
        const bytes = entryByteLength(entry);
        if (bytes > maxValueBytes) {
          // Returned to the caller, but neither tier keeps it.
          this.#tooLarge(
            new ValueTooLargeError(key, bytes, maxValueBytes, 'maxValueBytes', 'Redis'),
          );
          if (overwrite) gone.push(key);
          continue;
        }
      }
      const lifetime = this.#lifetimes.jitter(ttlMs);
      if (toMemory)
        this.#memorySet(
          key,
          entry,
          this.#lifetimes.memory(lifetime),
          this.#lifetimes.atSource(lifetime),
        );
      writes.push([fullKey, redisEntry(entry, lifetime, now), this.#lifetimes.redisPx(lifetime)]);
    }
    for (const key of gone) this.#memoryDelete(key);
    if (this.#redis && (writes.length > 0 || gone.length > 0)) {
      try {
        // NX: a back-fill only follows a Redis miss, so a key there now is a newer write (maybe
        // another node's, whose bus message has not arrived): it must win over our older load.
        await this.#redis.setMany(writes, !overwrite);
        this.#stats.redisSets += writes.length;
        if (gone.length > 0) await this.#redis.del(gone.map((key) => this.#prefix + key));
      } catch {
        // Reported by the Redis tier; a failed back-fill only costs a later reload.
      }
    }
  }

  #decodeRaw(raw: RawEntry): V | typeof ENTRY_MISSING | typeof ENTRY_CORRUPT {
    if (typeof raw === 'string')
      return decodeEntryText(this.#options.codec, this.#decodeText!, raw, this.#fault);
    // A text codec given bytes (read as bytes to back-fill memory): one UTF-8 decoding, as the
    // Redis client would have made, and no sub-view per entry.
    if (this.#decodeText !== null)
      return decodeEntryText(this.#options.codec, this.#decodeText, raw.toString(), this.#fault);
    return decodeEntry(this.#options.codec, raw, this.#fault);
  }

  /** Decodes what `wrap` produced: text from a codec without `decodeText` is decoded as bytes. */
  #decodeWrapped(entry: RawEntry): V | typeof ENTRY_MISSING | typeof ENTRY_CORRUPT {
    if (typeof entry === 'string' && this.#decodeText === null) {
      return decodeEntry(this.#options.codec, Buffer.from(entry, 'utf8'), this.#fault);
    }
    return this.#decodeRaw(entry);
  }

  /**
   * Stores an entry in memory (see `MemoryTier.set` for `atSource` and `grace`); a value too
   * large for the memory tier is left out of it and reported.
   */
  #memorySet(key: string, entry: RawEntry, ttlMs: number, atSource = false, grace = true): void {
    if (this.#closed || this.#memory === null) return;
    const refused = this.#memory.set(key, entry, ttlMs, atSource, grace);
    if (refused !== undefined) this.#onTooLarge(key, refused);
  }

  /** An entry the memory tier refused for its size (from `set`, or `MemoryTier.setMany`). */
  readonly #onTooLarge = (key: string, refused: EntryTooLargeError): void => {
    this.#tooLarge(
      new ValueTooLargeError(
        key,
        refused.entryBytes,
        refused.maxEntryBytes,
        'memory.maxEntryBytes',
        'memory',
      ),
    );
  };

  /** A value a tier refused for its size: counted and reported (never silent). */
  #tooLarge(error: ValueTooLargeError): void {
    this.#stats.tooLarge++;
    this.#report.emit(error);
  }

  #memoryDelete(key: string): void {
    if (!this.#closed) this.#memory?.delete(key);
  }

  /**
   * Tells other nodes; `deadline`: the rest of the write's (see `RedisTier.deadline`).
   * `failed`: the write itself already failed and was reported: the message is sent detached
   * (the caller is answered at once, whatever is left of the deadline), and its failure is
   * neither reported again nor thrown (one failed write, one `error` event).
   */
  async #publish(
    message: BusMessage,
    deadline = NO_DEADLINE,
    strict = this.#options.strict,
    failed = false,
  ): Promise<void> {
    if (!this.#bus || !this.#redis || this.#closed) return;
    try {
      await this.#redis.publish(
        this.#bus.channel,
        this.#bus.encode(message),
        failed ? DETACHED : deadline,
        !failed,
      );
      this.#stats.busSent++;
    } catch (error) {
      if (!failed) this.#failedWrite('PUBLISH', error, strict);
    }
  }

  /**
   * A write Redis did not take: thrown when `strict`; otherwise reported, which the Redis tier
   * already did for failures and timeouts, but not for a command the open breaker skipped.
   */
  #failedWrite(operation: string, error: unknown, strict = this.#options.strict): void {
    if (strict) throw error;
    if (error instanceof CircuitOpenError) this.#report.skipped(operation, error);
  }

  #onBusMessage(message: BusMessage): void {
    if (this.#closed) return;
    this.#stats.busReceived++;
    if ('clear' in message) {
      this.#flights.forgetAll();
      this.#memory?.clear();
      return;
    }
    for (const key of message.keys) {
      this.#flights.forget(key);
      this.#memoryDelete(key);
    }
  }

  /**
   * Invalidations published before this moment may have been missed (none heard before the first
   * subscription, none while reconnecting): drop memory, and keep reads in flight out of it.
   */
  #onBusSubscribed(reconnected: boolean): void {
    if (this.#closed) return;
    this.#memory?.clear();
    if (reconnected) this.#report.busReconnect();
  }

  /** Undecodable bytes: delete the entry from the tier it came from, report. */
  #corrupt(tier: FaultTier, key: string, error: TiercacheError): void {
    if (tier === 'memory') this.#memoryDelete(key);
    if (tier === 'redis') this.#redis?.del([this.#prefix + key]).catch(() => {});
    this.#report.corrupt(tier, key, error);
  }

  #assertOpen(): void {
    if (this.#closed) throw new CacheClosedError(this.name);
  }
}

const busFinalizer = new FinalizationRegistry<Bus>((bus) => bus.close());

/** What a fetch's Redis read left for the loader, and what it noticed on the way. */
interface RedisFound {
  /** Positions Redis did not answer (missing, failed, corrupt, or past their TTL). */
  pending: number[];
  /** Redis entries past their TTL (kept `graceMs` longer), by position, to serve if the loader fails. */
  stale: Array<RawEntry | undefined> | null;
  /** Positions whose Redis read failed, to answer from memory's copy when there is no loader. */
  unreadable: number[] | null;
  /** Keys Redis answered with less than `refreshAheadMs` left. */
  refresh: string[] | null;
}

/** Every position of a batch pending: no Redis read (no Redis, or a refresh). */
function allPending(length: number): RedisFound {
  return {
    pending: Array.from({ length }, (_, i) => i),
    stale: null,
    unreadable: null,
    refresh: null,
  };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * {@link expiryOf} without allocating (a batch read parses one header per key): the absolute
 * expiry of an entry read from Redis, 0 without an expiry header, NaN when it is malformed.
 */
function redisExpiry(raw: RawEntry, out: { at: number }): number {
  const kind = readExpiry(raw, out);
  if (kind !== OWN_EXPIRY) return 0;
  return out.at === 0 ? Number.NaN : out.at;
}

/**
 * A back-fill from Redis being collected for one `MemoryTier.setMany`, aligned with the batch's
 * keys and replies: the entry at `i` is the reply from byte `starts[i]` on (behind its expiry
 * header), kept for `ttlMs[i]`; a negative `ttlMs[i]` leaves key `i` out.
 */
interface Backfill {
  starts: Uint8Array;
  ttlMs: Float64Array;
  /** What the decoding learnt of each entry's bytes: `ASCII_UNKNOWN`, `ASCII_YES` or `ASCII_NO`. */
  ascii: Uint8Array;
  atSource: Uint8Array | null;
  grace: Uint8Array | null;
}

function newBackfill(size: number, timed: boolean): Backfill {
  return {
    starts: new Uint8Array(size),
    ttlMs: new Float64Array(size).fill(-1),
    ascii: new Uint8Array(size),
    atSource: timed ? new Uint8Array(size) : null,
    grace: timed ? new Uint8Array(size) : null,
  };
}

/** Spreads the values of distinct keys back over every input position (`slots`: position → key). */
function realign<T>(values: readonly T[], slots: Uint32Array): T[] {
  const out = new Array<T>(slots.length);
  for (let i = 0; i < slots.length; i++) out[i] = values[slots[i]!]!;
  return out;
}
