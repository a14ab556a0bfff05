/**
 * The per-call options of a TieredCache's methods (read policy, write lifetime, a per-call
 * loader) and the checks of every argument a call takes: a bad argument is an
 * `InvalidArgumentError` before anything is read or written.
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Loader } from './loader.ts';

/**
 * How a read uses the memory tier. `fresh` skips it: Redis, then the loader, so the answer is as
 * fresh as Redis (shared by every node). `fast` answers from memory when it can: the answer may
 * be as old as the bus delay after another node's write, or `memoryTtlMs` if a bus message is
 * lost. Without Redis, memory is the only cache tier and both policies read it.
 */
export type ReadPolicy = 'fresh' | 'fast';

/** Per-call read options. */
export interface ReadOptions {
  /** `get`, `getOrSet` and `has` default to `fresh`, `getMany` to `fast`, as go2cache did. */
  read?: ReadPolicy;
}

/** Per-call write options. */
export interface WriteOptions {
  /** Lifetime in Redis for this write, in ms; 0 = no expiry. @default the cache's `ttlMs` */
  ttlMs?: number;
}

/** Options of `TieredCache.getOrSet`: a read policy and the lifetime of a loaded value. */
export interface GetOrSetOptions extends ReadOptions, WriteOptions {}

/**
 * A per-call loader for `TieredCache.getOrSet`: the value of one key, or `undefined` when the
 * source has no such key (`null` is a value).
 */
export type KeyLoader<V> = (key: string) => V | undefined | Promise<V | undefined>;

/** Throws unless `key` is a string (any string, the empty one included). */
export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') {
    throw new InvalidArgumentError(
      `Cache keys must be strings, got ${key === null ? 'null' : typeof key}`,
    );
  }
}

/** The call's read policy, `fallback` when none is given. */
export function readPolicy(options: ReadOptions | undefined, fallback: ReadPolicy): ReadPolicy {
  const read = options?.read ?? fallback;
  if (read !== 'fresh' && read !== 'fast') {
    throw new InvalidArgumentError(`read must be "fresh" or "fast", got ${JSON.stringify(read)}`);
  }
  return read;
}

/** The call's write lifetime in ms, `fallback` when none is given. */
export function writeTtl(options: WriteOptions | undefined, fallback: number): number {
  const ttlMs = options?.ttlMs ?? fallback;
  // Whole ms: Redis refuses `PX 1500.5`, which would fail every write of the call.
  if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 0 || ttlMs > 2 ** 31 - 1) {
    throw new InvalidArgumentError(
      `{ ttlMs } must be a whole number of ms between 0 and ${2 ** 31 - 1}, got ${String(ttlMs)}`,
    );
  }
  return ttlMs;
}

/** Whether `value` can be iterated (an array, a Map, a generator). */
export function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof (value as { [Symbol.iterator]?: unknown } | null)?.[Symbol.iterator] === 'function';
}

/** A per-key loader as a batch loader (an array aligned with the keys). */
export function keyLoader<V>(loader: KeyLoader<V>): Loader<V> {
  return (keys) => Promise.all(keys.map((key) => loader(key)));
}
