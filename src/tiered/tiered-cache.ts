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
  InvalidArgumentError,
  type TiercacheError,
} from '../errors.ts';
import { Breaker } from './breaker.ts';
import { Bus, type BusHandlers, type BusMessage } from './bus.ts';
import {
  decodeEntry,
  decodeEntryText,
  ENTRY_CORRUPT,
  ENTRY_MISSING,
  type EntryFault,
  expiryOf,
  MISSING_ENTRY,
  withExpiry,
  withoutExpiry,
  wrap,
} from './envelope.ts';
import { ErrorReporter, type FaultTier } from './error-reporter.ts';
import { runLoader } from './loader.ts';
import { ABSENT, MemoryTier } from './memory-tier.ts';
import { type ResolvedOptions, resolveOptions, type TieredCacheOptions } from './options.ts';
import { type RawEntry, RedisTier, type RedisWrite } from './redis-tier.ts';
import { registerCache } from './registry.ts';
import { type FetchResult, type Flight, flightValue, SingleFlight } from './single-flight.ts';
import { StatsCounters, type TieredCacheStats } from './stats.ts';

/**
 * How a read uses the memory tier. `fresh` skips it: Redis, then the loader, so the answer is as
 * fresh as Redis (shared by every node). `fast` answers from memory when it can: the answer may
 * be as old as the bus delay after another node's write, or `memoryTtlMs` if a bus message is
 * lost. Without Redis, memory is the only cache tier and both policies read it.
 */
export type ReadPolicy = 'fresh' | 'fast';

/** Per-call read options. */
export interface ReadOptions {
  /** `get` defaults to `fresh`, `getMany` to `fast`, as go2cache did. */
  read?: ReadPolicy;
}

/** Per-call write options. */
export interface WriteOptions {
  /** Lifetime in Redis for this write, in ms; 0 = no expiry. @default the cache's `ttlMs` */
  ttlMs?: number;
}

/** Events a TieredCache emits. */
export interface TieredCacheEvents {
  /** A Redis command failed or timed out, bytes could not be decoded, or the bus failed. */
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
  readonly #report: ErrorReporter;
  readonly #unregister: () => void;
  readonly #decodeText: ((text: string) => V) | null;
  /** Where a corrupt Redis entry's error lands (see decodeEntry): one per cache, not per read. */
  readonly #fault: EntryFault = { error: undefined };
  #closed = false;

  constructor(options: TieredCacheOptions<V>) {
    super();
    const resolved = resolveOptions(options);
    this.#options = resolved;
    this.name = resolved.name;
    this.#prefix = `${resolved.name}:`;
    this.#report = new ErrorReporter(resolved.name, this, this.#stats);
    this.#memory = resolved.memory
      ? new MemoryTier({
          store: resolved.memory,
          owned: resolved.ownsMemory,
          prefix: this.#prefix,
          codec: resolved.codec,
        })
      : null;
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
      onError: (error) => {
        const cache = ref.deref();
        if (cache) cache.#reportBusError(error);
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
    try {
      this.#assertOpen();
      checkKey(key);
      const read = readPolicy(options, 'fresh');
      if (this.#memory !== null && (read === 'fast' || this.#redis === null)) {
        const entry = this.#memory.read(key);
        if (entry !== ABSENT) {
          if (entry !== ENTRY_CORRUPT) {
            this.#stats.memoryHits++;
            return Promise.resolve(entry === ENTRY_MISSING ? undefined : entry);
          }
          this.#corrupt('memory', key, this.#memory.fault.error!);
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
    const memory = this.#memory;
    for (let i = 0; i < unique.length; i++) {
      const key = unique[i]!;
      const entry = memory.read(key);
      if (entry !== ABSENT) {
        if (entry !== ENTRY_CORRUPT) {
          this.#stats.memoryHits++;
          values[i] = entry === ENTRY_MISSING ? undefined : entry;
          continue;
        }
        this.#corrupt('memory', key, memory.fault.error!);
      }
      this.#stats.memoryMisses++;
      pending.push(i);
    }
    if (pending.length > 0) {
      const below = await this.#readBelowMemory(pending.map((i) => unique[i]!));
      for (let j = 0; j < pending.length; j++) values[pending[j]!] = below[j];
    }
    return unique.length === keys.length ? values : realign(values, slots);
  }

  /** Writes a value to Redis, then memory, then tells other nodes; `undefined` is refused. */
  async set(key: string, value: V, options?: WriteOptions): Promise<void> {
    await this.setMany([[key, value]], options);
  }

  /** Writes many values (pipelined per slot group), then tells other nodes in one message. */
  async setMany(entries: Iterable<readonly [string, V]>, options?: WriteOptions): Promise<void> {
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
    if (writes.length === 0) return;
    // Reads in flight may have seen the old state: detach them now, and again once Redis has the
    // write (a read that started in between may have read Redis before the write landed).
    for (const [key] of writes) this.#flights.forget(key);
    const full = writes.map(([key]) => this.#prefix + key);
    // One jittered lifetime per key, given to both tiers: memory must not outlive Redis.
    const lifetimes = writes.map(() => this.#jitter(ttlMs));
    if (this.#redis) {
      const now = Date.now();
      const redisWrites = writes.map(
        ([, entry], i): RedisWrite => [
          full[i]!,
          redisEntry(entry, lifetimes[i]!, now),
          lifetimes[i]!,
        ],
      );
      try {
        await this.#redis.setMany(redisWrites);
        this.#stats.redisSets += writes.length;
      } catch (error) {
        for (const [key] of writes) this.#flights.forget(key);
        // Redis may not have the value: memory must not serve it as if it had, nor the old one.
        for (const [key] of writes) this.#memoryDelete(key);
        this.#failedWrite('SET', error);
        await this.#publish({ keys: writes.map(([key]) => key) });
        return;
      }
      for (const [key] of writes) this.#flights.forget(key);
    }
    for (let i = 0; i < writes.length; i++) {
      const [key, entry] = writes[i]!;
      this.#memorySet(key, entry, this.#memoryTtl(lifetimes[i]!));
    }
    await this.#publish({ keys: writes.map(([key]) => key) });
  }

  /** Deletes a key from Redis and memory, and tells other nodes. */
  async delete(key: string): Promise<void> {
    await this.deleteMany([key]);
  }

  /** Deletes keys from Redis (one `DEL` per slot group) and memory, and tells other nodes. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    this.#assertOpen();
    if (!Array.isArray(keys))
      throw new InvalidArgumentError('deleteMany(keys): keys must be an array of strings');
    for (const key of keys) checkKey(key);
    if (keys.length === 0) return;
    for (const key of keys) this.#flights.forget(key);
    const full = keys.map((key) => this.#prefix + key);
    if (this.#redis) {
      try {
        await this.#redis.del(full);
      } catch (error) {
        // Memory drops the keys even when this throws: a strict caller then retries a clean state.
        for (const key of keys) this.#memoryDelete(key);
        this.#failedWrite('DEL', error);
      }
      for (const key of keys) this.#flights.forget(key);
    }
    for (const key of keys) this.#memoryDelete(key);
    await this.#publish({ keys: [...keys] });
  }

  /** A frozen snapshot of the counters. */
  stats(): TieredCacheStats {
    this.#stats.redisSkipped = this.#redis?.skipped ?? 0;
    this.#stats.memorySets = this.#memory?.sets ?? 0;
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
   * Distinct keys that memory did not answer: joined to fetches already in flight, the rest
   * fetched together (one MGET per slot group, then one loader call).
   */
  async #readBelowMemory(keys: readonly string[]): Promise<Array<V | undefined>> {
    if (!this.#redis && !this.#options.load)
      return new Array<V | undefined>(keys.length).fill(undefined);
    // Flights are keyed by the caller's key strings (not prefixed copies): their hashes are
    // usually cached already, which keeps a 1000-key batch's bookkeeping cheap.
    const flights = this.#flights.load(keys, (batch, batchFlights) =>
      this.#fetch(batch, batchFlights),
    );
    // Usually a single batch (this call's own); several when joining other reads' fetches.
    const first = flights[0]!.batch;
    // Identity, not length: a batch another read started may hold the same number of keys.
    const own = first.keys === keys;
    if (own || flights.every((flight) => flight.batch === first)) await first.done;
    else await Promise.all(new Set(flights.map((flight) => flight.batch.done)));
    // close() cut the fetch short: its `undefined`s would read as "missing", which they are not.
    if (this.#closed) throw new CacheClosedError(this.name);
    if (own && first.failed === null) {
      // A batch this call started with every key is aligned with `keys` already. Copied (joiners
      // read the batch too, and the caller owns its result), by index so that no hole is left.
      const { values } = first;
      const out = new Array<V | undefined>(values.length);
      for (let i = 0; i < values.length; i++) out[i] = values[i];
      return out;
    }
    return flights.map((flight) => flightValue(flight));
  }

  /**
   * Fetches a batch from Redis, then the loader; back-fills memory with what Redis held, and
   * returns the values with the back-fill of loaded values into both tiers still in progress.
   */
  async #fetch(
    keys: readonly string[],
    flights: ReadonlyArray<Flight<V>>,
  ): Promise<FetchResult<V>> {
    const memory = this.#memory;
    const epoch = memory?.epoch ?? 0;
    const result: FetchResult<V> = {
      values: new Array<V | undefined>(keys.length),
      failed: null,
      error: undefined,
      settled: null,
    };
    const { values } = result;
    let pending: number[];
    if (this.#redis === null) pending = Array.from(keys, (_, i) => i);
    else {
      const fullKeys = keys.map((key) => this.#prefix + key);
      const text = this.#decodeText !== null;
      const raws =
        fullKeys.length === 1
          ? [await this.#redis.get(fullKeys[0]!, text)]
          : await this.#redis.mget(fullKeys, text);
      pending = [];
      const now = Date.now();
      for (let i = 0; i < fullKeys.length; i++) {
        const raw = raws[i];
        if (raw === undefined || raw === null) {
          // undefined: Redis failed or was skipped (already reported); null: not in Redis.
          if (raw === null) this.#stats.redisMisses++;
          pending.push(i);
          continue;
        }
        const stored = withoutExpiry(raw);
        const entry = this.#decodeRaw(stored);
        if (entry === ENTRY_CORRUPT) {
          this.#corrupt('redis', keys[i]!, this.#fault.error!);
          this.#stats.redisMisses++;
          pending.push(i);
          continue;
        }
        this.#stats.redisHits++;
        values[i] = entry === ENTRY_MISSING ? undefined : entry;
        // Back-fill memory with what Redis holds, as it is (no re-encoding), for no longer than
        // Redis keeps it, unless a write since the read made it stale.
        if (memory && flights[i]!.current && epoch === memory.epoch) {
          const base =
            entry === ENTRY_MISSING ? this.#negativeMemoryTtl() : this.#options.memoryTtlMs;
          const ttl = memoryTtlUntil(base, expiryOf(raw), now);
          if (ttl >= 0) this.#memorySet(keys[i]!, stored, ttl);
        }
      }
    }
    if (pending.length === 0 || !this.#options.load || this.#closed) return result;
    let loaded: (key: string) => V | undefined;
    try {
      loaded = await this.#load(pending.map((i) => keys[i]!));
    } catch (error) {
      // Keys Redis answered still succeed; only the loaded keys' callers see the loader's error.
      result.error = error;
      result.failed = new Uint8Array(keys.length);
      for (const i of pending) result.failed[i] = 1;
      return result;
    }
    const backfill = pending.map((i): [string, V | undefined, Flight<V>] => {
      values[i] = loaded(keys[i]!);
      return [keys[i]!, values[i], flights[i]!];
    });
    result.settled = this.#backfill(backfill, epoch === (memory?.epoch ?? 0));
    return result;
  }

  /** One loader call; counts it and reports failures to the channel. */
  async #load(keys: string[]): Promise<(key: string) => V | undefined> {
    const load = this.#options.load!;
    this.#stats.loads++;
    this.#stats.keysLoaded += keys.length;
    try {
      return await runLoader(load, keys);
    } catch (error) {
      this.#report.loader(keys, error);
      throw error;
    }
  }

  /** Writes loaded values (and negative markers) to memory (when `toMemory`), then Redis in one pipeline. */
  async #backfill(
    loaded: Array<[key: string, value: V | undefined, flight: Flight<V>]>,
    toMemory: boolean,
  ): Promise<void> {
    if (this.#closed) return;
    const writes: RedisWrite[] = [];
    const { ttlMs, negativeTtlMs } = this.#options;
    const now = Date.now();
    for (const [key, value, flight] of loaded) {
      if (!flight.current) continue;
      const fullKey = this.#prefix + key;
      if (value === undefined) {
        this.#stats.notFound++;
        if (negativeTtlMs === 0) continue;
        if (toMemory) this.#memorySet(key, MISSING_ENTRY, this.#negativeMemoryTtl());
        writes.push([fullKey, withExpiry(MISSING_ENTRY, now + negativeTtlMs), negativeTtlMs]);
        continue;
      }
      let bytes: RawEntry;
      try {
        bytes = wrap(this.#options.codec, value);
      } catch (error) {
        // The caller still gets the loaded value; it just cannot be cached.
        this.#corrupt('loader', key, error as TiercacheError);
        continue;
      }
      const redisTtl = this.#jitter(ttlMs);
      if (toMemory) this.#memorySet(key, bytes, this.#memoryTtl(redisTtl));
      writes.push([fullKey, redisEntry(bytes, redisTtl, now), redisTtl]);
    }
    if (this.#redis && writes.length > 0) {
      try {
        // NX: a back-fill only follows a Redis miss, so a key there now is a newer write (maybe
        // another node's, whose bus message has not arrived): it must win over our older load.
        await this.#redis.setMany(writes, true);
        this.#stats.redisSets += writes.length;
      } catch {
        // Reported by the Redis tier; a failed back-fill only costs a later reload.
      }
    }
  }

  #decodeRaw(raw: RawEntry): V | typeof ENTRY_MISSING | typeof ENTRY_CORRUPT {
    return typeof raw === 'string'
      ? decodeEntryText(this.#options.codec, this.#decodeText!, raw, this.#fault)
      : decodeEntry(this.#options.codec, raw, this.#fault);
  }

  /** Stores an entry in memory; a value too large for it is left out (see `MemoryTier.set`). */
  #memorySet(key: string, entry: RawEntry, ttlMs: number): void {
    if (this.#closed) return;
    this.#memory?.set(key, entry, ttlMs);
  }

  #memoryDelete(key: string): void {
    if (!this.#closed) this.#memory?.delete(key);
  }

  /** Memory lifetime for an entry living `redisTtl` ms in Redis (0 = forever in both). */
  #memoryTtl(redisTtl: number): number {
    const memoryTtl = this.#options.memoryTtlMs;
    if (memoryTtl === 0) return redisTtl;
    if (redisTtl === 0) return memoryTtl;
    return Math.min(memoryTtl, redisTtl);
  }

  #negativeMemoryTtl(): number {
    return this.#memoryTtl(this.#options.negativeTtlMs);
  }

  #jitter(ttlMs: number): number {
    const { ttlJitter } = this.#options;
    if (ttlMs === 0 || ttlJitter === 0) return ttlMs;
    return Math.max(1, ttlMs - Math.floor(ttlMs * ttlJitter * Math.random()));
  }

  async #publish(message: BusMessage): Promise<void> {
    if (!this.#bus || !this.#redis || this.#closed) return;
    try {
      await this.#redis.publish(this.#bus.channel, this.#bus.encode(message));
      this.#stats.busSent++;
    } catch (error) {
      this.#failedWrite('PUBLISH', error);
    }
  }

  /**
   * A write Redis did not take: thrown when `strict`; otherwise reported, which the Redis tier
   * already did for failures and timeouts, but not for a command the open breaker skipped.
   */
  #failedWrite(operation: string, error: unknown): void {
    if (this.#options.strict) throw error;
    if (error instanceof CircuitOpenError) this.#report.skipped(operation, error);
  }

  #onBusMessage(message: BusMessage): void {
    if (this.#closed) return;
    this.#stats.busReceived++;
    if ('clear' in message) {
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

  #reportBusError(error: Error): void {
    if (!this.#closed) this.#report.emit(error);
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

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') {
    throw new InvalidArgumentError(
      `Cache keys must be strings, got ${key === null ? 'null' : typeof key}`,
    );
  }
}

/** What Redis stores for an entry living `ttlMs` from `now` (0 = forever): behind its expiry. */
function redisEntry(entry: RawEntry, ttlMs: number, now: number): RawEntry {
  return ttlMs > 0 ? withExpiry(entry, now + ttlMs) : entry;
}

/**
 * Memory lifetime for an entry Redis holds until `expiresAt` (0 = no expiry): `base` (0 = none),
 * cut to what Redis has left; -1 when nothing is left (or the expiry header was malformed).
 */
function memoryTtlUntil(base: number, expiresAt: number, now: number): number {
  if (expiresAt === 0) return base;
  const left = expiresAt - now;
  if (!(left > 0)) return -1;
  return base === 0 ? left : Math.min(base, left);
}

/** Spreads the values of distinct keys back over every input position (`slots`: position → key). */
function realign<T>(values: readonly T[], slots: Uint32Array): T[] {
  const out = new Array<T>(slots.length);
  for (let i = 0; i < slots.length; i++) out[i] = values[slots[i]!]!;
  return out;
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof (value as { [Symbol.iterator]?: unknown } | null)?.[Symbol.iterator] === 'function';
}

function readPolicy(options: ReadOptions | undefined, fallback: ReadPolicy): ReadPolicy {
  const read = options?.read ?? fallback;
  if (read !== 'fresh' && read !== 'fast') {
    throw new InvalidArgumentError(`read must be "fresh" or "fast", got ${JSON.stringify(read)}`);
  }
  return read;
}

function writeTtl(options: WriteOptions | undefined, fallback: number): number {
  const ttlMs = options?.ttlMs ?? fallback;
  // Whole ms: Redis refuses `PX 1500.5`, which would fail every write of the call.
  if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 0 || ttlMs > 2 ** 31 - 1) {
    throw new InvalidArgumentError(
      `{ ttlMs } must be a whole number of ms between 0 and ${2 ** 31 - 1}, got ${String(ttlMs)}`,
    );
  }
  return ttlMs;
}
