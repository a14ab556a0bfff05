/**
 * MemoryStore options: their documentation (units, defaults, memory cost), validation at
 * construction, and the derived sizes (per-shard limit, chunk size) the shards use.
 *
 * @module
 */
import { InvalidOptionError, InvalidOptionTypeError } from '../errors.ts';
import {
  checkOptionsObject,
  describeValue as describe,
  functionOption,
  integerOption,
  MAX_TIMER_MS,
  numberOption,
  oneOfOption,
  stringOption,
} from '../options-check.ts';
import { MIN_CHUNK_BYTES, SMALLEST_CHUNK_BYTES } from './arena.ts';
import { defaultMemoryBudget, MemoryBudget } from './budget.ts';
import { HEADER_BYTES, slotBytes } from './entry-layout.ts';
import type { HashFunction } from './hash.ts';
import { hashString } from './hash.ts';
import { DEFAULT_EVICTION, EVICTION_POLICIES, type EvictionPolicy, POLICIES } from './policies.ts';
import type { PolicyFactory } from './policy.ts';
import type { RemovalReason } from './shard.ts';
import { SHARD_BASE_BYTES } from './shard.ts';
import { HASH_FUNCTION, POLICY_FACTORY } from './test-hooks.ts';

/** Options of a {@link MemoryStore}; every one is optional. */
export interface MemoryStoreOptions {
  /** Shown by `memoryStores()`, diagnostics and error messages. @default 'memory-store' */
  name?: string;
  /**
   * Hard cap on `reservedBytes` (arena chunks + index tables), in bytes. Nothing is allocated up
   * front; this is only a ceiling. Each shard may hold `floor(maxBytes / shards)`.
   * @default 67108864 (64 MiB)
   */
  maxBytes?: number;
  /**
   * Number of shards, a power of two from 1 to 65536. Each shard is created on its first write
   * and then costs a 64-byte index plus its chunks; the store itself keeps one pointer per shard
   * (8 bytes each). More shards spread the index; fewer let one key range use more of `maxBytes`.
   * @default 16, or fewer when `maxBytes` is under 1 MiB (each shard gets >= 64 KiB)
   */
  shards?: number;
  /**
   * Largest entry, in bytes: 24-byte header + key (1 byte per code unit, 2 if any unit is >= 256)
   * + value. Larger entries throw `EntryTooLargeError`. Must fit a shard with its index:
   * `maxEntryBytes + 64 <= floor(maxBytes / shards)`. An entry larger than a shard's usual
   * chunk (1/64 to 1/32 of the shard) gets a chunk of its own size.
   * @default min(1 MiB, a quarter of a shard's bytes)
   */
  maxEntryBytes?: number;
  /**
   * Which entries leave when the store is full. `'s3fifo'`: new entries pass through a small
   * queue (about 10 % of each shard's chunks) and stay only if read there; entries read since
   * their last pass are kept instead of evicted; a key evicted from the small queue and stored
   * again soon after (remembered by hash in a ghost queue sized with the index: 3 bytes per index
   * slot, 12 per remembered key) goes straight to the main queue. `'fifo'`:
   * the oldest entries leave first, bigcache's order; no ghost, and reads write nothing.
   * `'adaptive'`: S3-FIFO whose small queue admits an unread entry to main by a frequency sketch
   * (3 bytes per index slot, in place of the ghost) and whose small-queue share is tuned by hill
   * climbing on the hit ratio (docs/memory-store.md, "The adaptive policy").
   * @default 's3fifo'
   */
  eviction?: EvictionPolicy;
  /** Default lifetime of an entry, in ms; 0 = no expiry. A `set` may give its own. @default 0 */
  ttlMs?: number;
  /**
   * Period of the background expiry sweep, in ms; 0 disables it (expired entries are still never
   * returned, and their space is reclaimed when the arena is cleaned). The timer is started on
   * the first write with an expiry, is `unref()`ed and reaches the store through a `WeakRef`, so
   * it keeps neither the process nor the store alive. @default 1000
   */
  sweepIntervalMs?: number;
  /**
   * Bytes of chunks to allocate at construction, spread over all shards, in bytes. Counted in
   * `reservedBytes` and the budget like any other chunk (a budget that cannot hold them gets
   * fewer). Only useful to reproduce eager allocation on purpose. @default 0
   */
  initialBytes?: number;
  /**
   * The budget whose bytes this store reserves; `null` for none (only `maxBytes` bounds it).
   * @default the process budget, see `defaultMemoryBudget()`
   */
  budget?: MemoryBudget | null;
  /**
   * Called after an entry leaves the store other than by overwrite or `close()`: `'expired'`,
   * `'evicted'` (FIFO, to make room) or `'deleted'` (`delete()` and `clear()`). `value` is a copy.
   * Keys and values are only decoded when this is set.
   */
  onRemove?: (key: string, value: Buffer, reason: RemovalReason) => void;
  /** The clock, in ms (absolute, like `Date.now`). For tests. @default Date.now */
  now?: () => number;
}

/** Options after defaults and validation, with derived sizes. */
export interface ResolvedOptions {
  readonly name: string;
  readonly maxBytes: number;
  readonly shards: number;
  readonly maxEntryBytes: number;
  readonly eviction: EvictionPolicy;
  /** Makes each shard's policy: the `eviction` policy's (or a test's own). */
  readonly policy: PolicyFactory;
  readonly ttlMs: number;
  readonly sweepIntervalMs: number;
  readonly initialBytes: number;
  readonly budget: MemoryBudget | null;
  readonly onRemove: MemoryStoreOptions['onRemove'];
  readonly now: () => number;
  readonly hash: HashFunction;
  /** `floor(maxBytes / shards)`: the bytes one shard may hold, chunks plus index. */
  readonly shardLimit: number;
  /** Size arena chunks grow to, a power of two. */
  readonly chunkBytes: number;
  /** Largest arena chunk (holds the largest entry), a power of two >= `chunkBytes`. */
  readonly maxChunkBytes: number;
}

/** The default `maxBytes`: 64 MiB. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** The default number of shards. */
export const DEFAULT_SHARDS = 16;
/** The default sweep period, in ms. */
export const DEFAULT_SWEEP_INTERVAL_MS = 1000;
/** Upper bound of `maxEntryBytes` (and of a chunk): 1 GiB. */
export const MAX_ENTRY_LIMIT = 2 ** 30;
/** Upper bound of one shard's bytes: chunk ids and offsets share a 32-bit location. */
export const MAX_SHARD_BYTES = 2 ** 34;

const MiB = 1024 * 1024;
const KNOWN = new Set([
  'name',
  'maxBytes',
  'shards',
  'maxEntryBytes',
  'eviction',
  'ttlMs',
  'sweepIntervalMs',
  'initialBytes',
  'budget',
  'onRemove',
  'now',
]);

/** Validates `options` and fills in defaults; throws `InvalidOptionError` / `InvalidOptionTypeError`. */
export function resolveOptions(options: unknown): ResolvedOptions {
  const o = checkOptionsObject('MemoryStore', options, KNOWN) as Record<string | symbol, unknown>;
  const name = optionalString(o, 'name') ?? 'memory-store';
  const maxBytes = optionalInteger(o, 'maxBytes', 1) ?? DEFAULT_MAX_BYTES;
  const shards = optionalInteger(o, 'shards', 1) ?? defaultShards(maxBytes);
  if (shards > 65536 || (shards & (shards - 1)) !== 0) {
    throw new InvalidOptionError(
      'shards',
      `expected a power of two from 1 to 65536, got ${shards}`,
    );
  }
  const shardLimit = Math.floor(maxBytes / shards);
  if (shardLimit > MAX_SHARD_BYTES) {
    throw new InvalidOptionError(
      'shards',
      `maxBytes / shards is ${shardLimit} bytes; one shard holds at most ${MAX_SHARD_BYTES}: raise shards`,
    );
  }
  const minEntry = slotBytes(0, 0);
  if (shardLimit < SHARD_BASE_BYTES + minEntry) {
    throw new InvalidOptionError(
      'maxBytes',
      `${maxBytes} bytes over ${shards} shards leaves ${shardLimit} per shard, below the ${SHARD_BASE_BYTES + minEntry} one entry needs: raise maxBytes or lower shards`,
    );
  }
  const roomForEntry = Math.floor((shardLimit - SHARD_BASE_BYTES) / 8) * 8;
  const maxEntryBytes =
    optionalInteger(o, 'maxEntryBytes', 1) ??
    Math.max(minEntry, Math.min(MiB, Math.floor(roomForEntry / 4 / 8) * 8));
  if (maxEntryBytes < HEADER_BYTES) {
    throw new InvalidOptionError(
      'maxEntryBytes',
      `must be at least the ${HEADER_BYTES}-byte entry header, got ${maxEntryBytes}`,
    );
  }
  if (
    maxEntryBytes > MAX_ENTRY_LIMIT ||
    slotBytes(maxEntryBytes - HEADER_BYTES, 0) > roomForEntry
  ) {
    throw new InvalidOptionError(
      'maxEntryBytes',
      `${maxEntryBytes} bytes does not fit a shard (${shardLimit} bytes = maxBytes / shards, minus a ${SHARD_BASE_BYTES}-byte index): lower maxEntryBytes, raise maxBytes or lower shards`,
    );
  }
  const eviction = oneOfOption<EvictionPolicy>(
    'eviction',
    o.eviction,
    EVICTION_POLICIES,
    DEFAULT_EVICTION,
  );
  const ttlMs = numberOption('ttlMs', o.ttlMs, 0, { min: 0, unit: 'ms' });
  const sweepIntervalMs = numberOption(
    'sweepIntervalMs',
    o.sweepIntervalMs,
    DEFAULT_SWEEP_INTERVAL_MS,
    {
      min: 0,
      max: MAX_TIMER_MS,
      unit: 'ms',
    },
  );
  const initialBytes = optionalInteger(o, 'initialBytes', 0) ?? 0;
  if (initialBytes > maxBytes) {
    throw new InvalidOptionError('initialBytes', `${initialBytes} exceeds maxBytes (${maxBytes})`);
  }
  let budget: MemoryBudget | null;
  if (o.budget === undefined) budget = defaultMemoryBudget();
  else if (o.budget === null) budget = null;
  else if (o.budget instanceof MemoryBudget) budget = o.budget;
  else {
    throw new InvalidOptionTypeError(
      'budget',
      `expected a MemoryBudget or null, got ${describe(o.budget)}`,
    );
  }
  const onRemove = optionalFunction(o, 'onRemove') as MemoryStoreOptions['onRemove'];
  const now = (optionalFunction(o, 'now') as (() => number) | undefined) ?? Date.now;
  const hash = (o[HASH_FUNCTION] as HashFunction | undefined) ?? hashString;
  const policy = (o[POLICY_FACTORY] as PolicyFactory | undefined) ?? POLICIES[eviction];
  return {
    name,
    maxBytes,
    shards,
    maxEntryBytes,
    eviction,
    policy,
    ttlMs,
    sweepIntervalMs,
    initialBytes,
    budget,
    onRemove,
    now,
    hash,
    shardLimit,
    ...chunkSizesFor(shardLimit, maxEntryBytes),
  };
}

function defaultShards(maxBytes: number): number {
  let shards = DEFAULT_SHARDS;
  while (shards > 1 && maxBytes / shards < 64 * 1024) shards >>>= 1;
  return shards;
}

/**
 * A shard below 64 KiB gets chunks smaller than a page (1 KiB or 2 KiB), the largest that it
 * holds this many of, so that it still has 16 to 32 chunks (fewer only under 16 KiB): see
 * docs/memory-store.md, "Granularity".
 */
export const SMALL_SHARD_CHUNKS = 32;

/**
 * Chunk sizes: `chunkBytes`, the size chunks grow to, is 1/64 to 1/32 of a shard (so reclaim
 * moves little at a time and eviction, a chunk at a time, stays fine-grained: S3-FIFO's small
 * queue is then a few chunks), between 4 KiB and 1 MiB; a shard under 64 KiB gets 1 KiB or
 * 2 KiB chunks (pieces of pages, `page-pieces.ts`), 1/32 to 1/16 of it. `maxChunkBytes` is a
 * power of two that holds the largest entry (an entry larger than `chunkBytes` gets a chunk of
 * its own size). Both are big enough that the shard's chunks fit the ids a 32-bit location leaves.
 */
function chunkSizesFor(
  shardLimit: number,
  maxEntryBytes: number,
): { chunkBytes: number; maxChunkBytes: number } {
  let chunkBytes = SMALLEST_CHUNK_BYTES;
  while (
    chunkBytes < MiB &&
    chunkBytes * (chunkBytes < MIN_CHUNK_BYTES ? SMALL_SHARD_CHUNKS : 64) <= shardLimit
  ) {
    chunkBytes *= 2;
  }
  let maxChunkBytes = chunkBytes;
  while (maxChunkBytes < slotBytes(maxEntryBytes - HEADER_BYTES, 0)) maxChunkBytes *= 2;
  // Chunk ids get 35 - log2(maxChunkBytes) bits; leave room for twice the chunks the limit needs.
  const ids = () => 2 ** (35 - Math.log2(maxChunkBytes)) - 1;
  while ((shardLimit / chunkBytes) * 2 > ids()) {
    chunkBytes *= 2;
    maxChunkBytes = Math.max(maxChunkBytes, chunkBytes);
  }
  return { chunkBytes, maxChunkBytes };
}

function optionalString(o: Record<string, unknown>, key: string): string | undefined {
  return o[key] === undefined ? undefined : stringOption(key, o[key], '');
}

function optionalInteger(o: Record<string, unknown>, key: string, min: number): number | undefined {
  const value = o[key];
  if (value === undefined) return undefined;
  return integerOption(
    key,
    value,
    0,
    min,
    Number.MAX_SAFE_INTEGER,
    key.endsWith('Bytes') ? 'bytes' : undefined,
  );
}

function optionalFunction(o: Record<string, unknown>, key: string): unknown {
  return functionOption(key, o[key]);
}
