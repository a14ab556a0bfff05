/**
 * Replays a trace through a MemoryStore at a calibrated `maxBytes`, for bench/traces.ts (every
 * trace, every size) and bench/trace-point.ts (one point, block by block).
 *
 * Each request is a read; a miss writes the key (a read-through cache). Keys are 10-character
 * strings, values 100 bytes, so every MemoryStore entry takes {@link ENTRY_BYTES} bytes.
 * Stores are compared with entry-bounded caches at equal entries held: {@link calibrate} finds
 * the `maxBytes` at which the store's mean entries held after the warm-up (from the request
 * where the trace has shown `capacity` distinct keys) is within 0.1 % of `capacity`, on the
 * trace's start, and {@link replayWhole} corrects it over the whole trace. The reference caches
 * ({@link REFERENCES}: lru-cache, W-TinyLFU from npm `transitory`, and bench/_trace-policies.ts's
 * S3-FIFO, ARC and SIEVE, for the comparison only) hold `capacity` entries and replay as is.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import { type EvictionPolicy, MemoryStore } from 'tiercache/memory';
import { BoundedCache } from 'transitory';
import { hashWithSeed } from '../src/memory/hash.ts';
import { HASH_FUNCTION } from '../src/memory/test-hooks.ts';
import type { ReplayTrace } from './_trace-files.ts';
import { Arc, type IdCache, RefS3Fifo, Sieve } from './_trace-policies.ts';

export const VALUE = 'v'.repeat(100);
const KEY_CHARS = 10;
/** Bytes of one MemoryStore entry of the replay: header, key and value, 8-byte aligned. */
export const ENTRY_BYTES = Math.ceil((24 + KEY_CHARS + VALUE.length) / 8) * 8;
/** Entries held are sampled every this many requests. */
const SAMPLE_EVERY = 8;
/** Requests after the warm-up that each calibration replay runs. */
const CALIBRATION_REQUESTS = 250_000;
const CALIBRATION_ROUNDS = 10;
/** How far a store's mean entries held may be off the capacity (0.1 %). */
export const HELD_TOLERANCE = 0.001;
/** Whole-trace replays at most per store and point (see {@link replayWhole}). */
const WHOLE_ROUNDS = 4;
/** Bytes beyond the entries a calibration's first guess allows (index and policy arrays). */
const GUESS_OVERHEAD = 4096;
/** A store's bytes per entry held, before any calibration has measured one. */
const FIRST_GUESS_PER_ENTRY = ENTRY_BYTES * 1.4;

/** The caches every store is compared with, each bounded by an entry count. */
export const REFERENCES = ['lru-cache', 'w-tinylfu', 'ref-s3fifo', 'arc', 'sieve'] as const;
export type Reference = (typeof REFERENCES)[number];

/** The key string of dense id `id`: 10 characters, as every replay uses. */
export function keyOf(id: number): string {
  return `k${id.toString(36).padStart(KEY_CHARS - 1, '0')}`;
}

/** The key strings of every id of `trace`, built once per trace. */
export function keysOf(trace: ReplayTrace): string[] {
  return Array.from({ length: trace.distinct }, (_, id) => keyOf(id));
}

/** The index of the request where the trace has shown `capacity` distinct keys. */
function warmIndex(trace: ReplayTrace, capacity: number): number {
  const requests = trace.requests;
  for (let i = 0; i < requests.length; i++) if (requests[i]! >= capacity - 1) return i;
  return requests.length;
}

/** How stores are built and what a replay records. */
export interface ReplaySetup {
  readonly trace: ReplayTrace;
  readonly keys: readonly string[];
  /** A fixed hash seed for every store (through the tests' hash hook); default: the process's. */
  readonly seed?: number | undefined;
  /** When set, {@link StoreRun.blockMisses} counts misses per this many requests. */
  readonly blockSize?: number | undefined;
}

export interface StoreRun {
  misses: number;
  /** Mean entries held after the warm-up. */
  meanHeld: number;
  /** Misses per block of {@link ReplaySetup.blockSize} requests (empty without one). */
  blockMisses: number[];
}

/** Misses per block of `blockSize` requests, counted as a replay goes. */
class BlockCounter {
  readonly counts: number[] = [];
  #start = 0;

  constructor(
    readonly blockSize: number | undefined,
    readonly end: number,
  ) {}

  /** Request `i` is done, with `misses` so far. */
  after(i: number, misses: number): void {
    const size = this.blockSize;
    if (size === undefined || ((i + 1) % size !== 0 && i + 1 !== this.end)) return;
    this.counts.push(misses - this.#start);
    this.#start = misses;
  }
}

/** Replays requests `0 .. end` of the setup's trace through a new store of `eviction`. */
export function replayStore(
  setup: ReplaySetup,
  eviction: EvictionPolicy,
  maxBytes: number,
  warm: number,
  end: number,
): StoreRun {
  const { trace, keys, seed, blockSize } = setup;
  const store = new MemoryStore({
    name: `traces-${eviction}`,
    maxBytes: Math.floor(maxBytes),
    budget: null,
    eviction,
    ...(seed === undefined ? {} : { [HASH_FUNCTION]: (key: string) => hashWithSeed(key, seed) }),
  });
  const requests = trace.requests;
  const blocks = new BlockCounter(blockSize, end);
  let misses = 0;
  let held = 0;
  let samples = 0;
  for (let i = 0; i < end; i++) {
    const key = keys[requests[i]!]!;
    if (store.getString(key) === undefined) {
      misses++;
      store.set(key, VALUE);
    }
    if (i >= warm && (i & (SAMPLE_EVERY - 1)) === 0) {
      held += store.size;
      samples++;
    }
    blocks.after(i, misses);
  }
  store.close();
  return {
    misses,
    meanHeld: samples === 0 ? store.size : held / samples,
    blockMisses: blocks.counts,
  };
}

/**
 * `maxBytes` for a store holding `capacity` entries on average after the warm-up: start from
 * `guess`, then rescale by capacity / mean held, keeping the closest of a few tries (the curve
 * has steps where the index doubles). Replays only the trace's start.
 */
function calibrate(
  setup: ReplaySetup,
  eviction: EvictionPolicy,
  capacity: number,
  warm: number,
  guess: number,
): number {
  const start: ReplaySetup = { ...setup, blockSize: undefined };
  const end = Math.min(setup.trace.requests.length, warm + CALIBRATION_REQUESTS);
  let bytes = guess;
  let best = bytes;
  let bestError = Number.POSITIVE_INFINITY;
  let low = 0;
  let high = Number.POSITIVE_INFINITY;
  for (let round = 0; round < CALIBRATION_ROUNDS; round++) {
    const { meanHeld } = replayStore(start, eviction, bytes, warm, end);
    const error = meanHeld / capacity - 1;
    if (Math.abs(error) < Math.abs(bestError)) {
      best = bytes;
      bestError = error;
    }
    if (Math.abs(error) <= HELD_TOLERANCE) break;
    if (error < 0) low = Math.max(low, bytes);
    else high = Math.min(high, bytes);
    let next = bytes / (1 + error);
    // Stay strictly inside the bracket found so far (bisect when the rescale leaves it).
    if (next <= low || next >= high) next = Number.isFinite(high) ? (low + high) / 2 : bytes * 2;
    bytes = next;
  }
  return best;
}

/**
 * Replays the whole trace at `bytes`, then corrects for what the calibration (on the trace's
 * start) could not see: while the mean entries held over the whole trace is off the capacity by
 * more than {@link HELD_TOLERANCE}, `maxBytes` is rescaled by capacity / mean held and the
 * trace replayed again (at most {@link WHOLE_ROUNDS} times), keeping the run closest to the
 * capacity (its block counts too). Without it a store held up to 0.8 % fewer entries than the
 * caches it is compared with, a handicap of the same order as the differences the table is
 * read for.
 */
function replayWhole(
  setup: ReplaySetup,
  eviction: EvictionPolicy,
  bytes: number,
  capacity: number,
  warm: number,
): StoreRun {
  const n = setup.trace.requests.length;
  let best = replayStore(setup, eviction, bytes, warm, n);
  let current = best;
  for (let round = 1; round < WHOLE_ROUNDS; round++) {
    const error = current.meanHeld / capacity - 1;
    if (Math.abs(error) <= HELD_TOLERANCE) break;
    bytes /= 1 + error;
    current = replayStore(setup, eviction, bytes, warm, n);
    if (Math.abs(current.meanHeld / capacity - 1) < Math.abs(best.meanHeld / capacity - 1)) {
      best = current;
    }
  }
  return best;
}

/** Replays the setup's whole trace through reference cache `name` holding `capacity` entries. */
export function replayReference(
  setup: ReplaySetup,
  name: Reference,
  capacity: number,
): { misses: number; blockMisses: number[] } {
  const { trace, keys } = setup;
  const requests = trace.requests;
  const blocks = new BlockCounter(setup.blockSize, requests.length);
  // A read-through string cache: a miss stores the key.
  const readThrough =
    (has: (key: string) => boolean, set: (key: string) => void) =>
    (id: number): boolean => {
      const key = keys[id]!;
      if (has(key)) return true;
      set(key);
      return false;
    };
  let hit: (id: number) => boolean;
  if (name === 'lru-cache') {
    const lru = new LRUCache<string, string>({ max: capacity });
    hit = readThrough(
      (key) => lru.get(key) !== undefined,
      (key) => lru.set(key, VALUE),
    );
  } else if (name === 'w-tinylfu') {
    const cache = new BoundedCache<string, string>({ maxSize: capacity });
    hit = readThrough(
      (key) => cache.getIfPresent(key) !== null,
      (key) => cache.set(key, VALUE),
    );
  } else {
    const cache: IdCache =
      name === 'ref-s3fifo'
        ? new RefS3Fifo(capacity, trace.distinct)
        : name === 'arc'
          ? new Arc(capacity, trace.distinct)
          : new Sieve(capacity, trace.distinct);
    hit = (id) => cache.access(id);
  }
  let misses = 0;
  for (let i = 0; i < requests.length; i++) {
    if (!hit(requests[i]!)) misses++;
    blocks.after(i, misses);
  }
  return { misses, blockMisses: blocks.counts };
}

/**
 * Calibrates `maxBytes` for `capacity` entries (from `guessPerEntry` bytes per entry held), then
 * replays the whole trace at it. `calibratedBytes` is what the calibration found, before the
 * whole-trace correction: a good first guess for the next capacity of the same store.
 */
export function replayAtCapacity(
  setup: ReplaySetup,
  eviction: EvictionPolicy,
  capacity: number,
  guessPerEntry = FIRST_GUESS_PER_ENTRY,
): StoreRun & { calibratedBytes: number } {
  const warm = warmIndex(setup.trace, capacity);
  const guess = capacity * guessPerEntry + GUESS_OVERHEAD;
  const calibratedBytes = calibrate(setup, eviction, capacity, warm, guess);
  return { ...replayWhole(setup, eviction, calibratedBytes, capacity, warm), calibratedBytes };
}

/** The bytes per entry held a calibration found, as {@link replayAtCapacity} takes its guess. */
export function perEntryGuess(calibratedBytes: number, capacity: number): number {
  return (calibratedBytes - GUESS_OVERHEAD) / capacity;
}
