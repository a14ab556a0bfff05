/**
 * Merges concurrent reads per key, across single and batch reads: a key whose fetch (Redis, then
 * the loader) is already under way is joined, never fetched again; the keys nobody is fetching go
 * to one new batch. A flight stays joinable until its back-fill has been written (so a reader
 * arriving between the load and the Redis write joins it instead of reloading), and a write to
 * the key detaches the flight so that its now-stale result reaches its callers but is never
 * back-filled.
 *
 * Cost matters here (a 1000-key `getMany` is 1000 flights): one promise per batch, never a
 * promise per key; values live in an array aligned with the batch, and whether a position is
 * still current is one byte in the batch. Small batches share one long-lived table of small
 * per-key objects. A large batch (see {@link OWN_TABLE_KEYS}) is kept out of it, and is indexed
 * lazily: while nobody looks any of its keys up, it holds only its keys, the set that folded
 * their repeats, and its values; its index (key to position) is built on the first lookup that
 * finds one of its keys (a read joining it, or a write detaching a key). A lookup checks the
 * shared table and then the few large batches in flight.
 *
 * @module
 */

/** One batch fetch: its keys, and once `done` resolves, their values or error. */
export interface FlightBatch<V> {
  /**
   * The keys fetched, each once. Always the table's own array, never a caller's: a caller may
   * change its array once `load` has returned, and the batch reads its keys long after (the
   * back-fill, and the table's clean-up at the end).
   */
  readonly keys: readonly string[];
  /** Resolves (never rejects) once `values` and `failed` are final. */
  readonly done: Promise<void>;
  /** Values aligned with `keys` once `done`; `undefined` = no tier and no loader has the key. */
  values: Array<V | undefined>;
  /** Positions whose fetch failed with `error` (a loader error), or null when none did. */
  failed: Uint8Array | null;
  error: unknown;
  /** Whether a loader was there to answer the keys no tier held (see {@link FetchResult.loaded}). */
  loaded: boolean;
  /**
   * 1 at the positions a write, delete or clear made stale (skip their back-fill), aligned with
   * `keys`; null while none is, which is the usual case (made on the first detach).
   */
  detached: Uint8Array | null;
}

/** One key's place in a batch fetch. */
export interface Flight<V> {
  readonly batch: FlightBatch<V>;
  readonly index: number;
}

/**
 * What {@link SingleFlight.load} returns for a call's keys: the batch itself when the call
 * started it with every key new and distinct (the batch's positions are then the call's, and
 * `values` is the call's answer), otherwise one flight per key of the call.
 */
export type Flights<V> = FlightBatch<V> | Array<Flight<V>>;

/**
 * What a fetch of a batch found: values aligned with its keys, the positions that failed (with
 * their error), and the back-fill still in progress (`settled`), during which the flights stay
 * joinable. (The back-fill is a field: an async function returning a bare promise would adopt
 * it, and the values would wait for the back-fill.)
 */
export interface FetchResult<V> {
  values: Array<V | undefined>;
  /** Positions whose fetch failed with `error`, or null when none did. */
  failed: Uint8Array | null;
  error: unknown;
  settled: Promise<void> | null;
  /**
   * Whether a loader was there to answer the keys no tier held: a joiner with a loader of its
   * own does not take a miss of a fetch that had none as its answer.
   */
  loaded: boolean;
}

/**
 * Fetches `keys` (the batch's keys, which no one else is fetching) and returns what it found,
 * which the table then hands to every caller of the batch. Whether a position is still current
 * is read from the batch ({@link isCurrent}) when its back-fill is decided. Throwing fails every
 * key.
 */
export type FlightWork<V> = (
  keys: readonly string[],
  batch: FlightBatch<V>,
) => Promise<FetchResult<V>>;

/** Whether the fetch at `index` of `batch` may still be back-filled (no write detached it). */
export function isCurrent<V>(batch: FlightBatch<V>, index: number): boolean {
  const detached = batch.detached;
  return detached === null || detached[index] === 0;
}

/** The value a settled batch carries at `index`; throws the batch's error for a key that failed. */
export function valueAt<V>(batch: FlightBatch<V>, index: number): V | undefined {
  if (batch.failed?.[index]) throw batch.error;
  return batch.values[index];
}

/** The value a settled flight carries; throws the batch's error for a key that failed. */
export function flightValue<V>(flight: Flight<V>): V | undefined {
  return valueAt(flight.batch, flight.index);
}

/** The flight of the `i`-th key of the call that `loaded` answered. */
export function flightAt<V>(loaded: Flights<V>, i: number): Flight<V> {
  return Array.isArray(loaded) ? loaded[i]! : { batch: loaded, index: i };
}

/**
 * Batches of at least this many keys stay out of the shared table, each indexed lazily and
 * dropped whole when it ends. Why: registering a thousand keys in the long-lived shared Map and
 * deleting them again after the Redis round trip measured ~0.3 ms of CPU per 1000-key call (the
 * Map's table growing and shrinking while the call waits), ten times what the same work costs in
 * a fresh Map that is dropped at the end; and most large batches are never looked up at all, so
 * even that fresh Map (and an object per key) is usually not needed.
 */
export const OWN_TABLE_KEYS = 16;

/** A large batch in flight, and how its keys are found. */
interface LargeBatch<V> {
  readonly batch: FlightBatch<V>;
  /**
   * Its keys, until its index is built (then null). The set is needed anyway to fold repeated
   * keys before the fetch starts; it also answers "not in this batch" for the lookups of other
   * keys (a write to an unrelated key, a read of other keys) without building the index. Null
   * from the start when the caller vouched that its keys were distinct (no set was needed): the
   * first lookup of any key then builds the index. While the index is not built, no position of
   * the batch is detached: a detach by key goes through the index, and
   * {@link SingleFlight.forgetAll} drops the batch from the table.
   */
  members: Set<string> | null;
  /** Key to position of its current keys (a detached key is removed), once built. */
  index: Map<string, number> | null;
}

/** Positions of `keys`, which are distinct. */
function indexOf(keys: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) index.set(keys[i]!, i);
  return index;
}

/** Marks `index` of `batch` stale. */
function detach<V>(batch: FlightBatch<V>, index: number): void {
  batch.detached ??= new Uint8Array(batch.keys.length);
  batch.detached[index] = 1;
}

/** A new batch of `keys` (the table's own array), and the function that resolves its `done`. */
function newBatch<V>(keys: readonly string[]): [FlightBatch<V>, () => void] {
  let finish!: () => void;
  const batch: FlightBatch<V> = {
    keys,
    done: new Promise<void>((resolve) => {
      finish = resolve;
    }),
    values: [],
    failed: null,
    error: undefined,
    loaded: false,
    detached: null,
  };
  return [batch, finish];
}

/** A per-process table of fetches in flight, keyed by cache key. */
export class SingleFlight<V> {
  /** Flights of small batches (a `get`'s single key, small `getMany`s). */
  readonly #flights = new Map<string, Flight<V>>();
  /** The large batches in flight (usually none or one). */
  readonly #large: Array<LargeBatch<V>> = [];

  /** Number of keys being fetched right now (detached ones excluded). */
  get size(): number {
    let size = this.#flights.size;
    for (const large of this.#large) size += large.index?.size ?? large.batch.keys.length;
    return size;
  }

  /**
   * Answers `keys`: a key already in flight is joined, every new key goes to a single `work`
   * call covering them all. A key repeated in `keys` joins its first occurrence's flight (so
   * callers need not dedupe). Returns the new batch itself when every key was new and distinct,
   * else one flight per key (see {@link Flights}). Await the distinct batches' `done`, then
   * read each key with {@link valueAt} / {@link flightValue}. `distinct`: the caller vouches
   * that `keys` has no repeats (it deduped them), which spares a large batch its set of keys.
   */
  load(keys: readonly string[], work: FlightWork<V>, distinct = false): Flights<V> {
    if (keys.length >= OWN_TABLE_KEYS && this.#flights.size === 0 && this.#large.length === 0) {
      const alone = this.#loadAlone(keys, work, distinct);
      if (alone !== null) return alone;
    }
    const out = new Array<Flight<V>>(keys.length);
    const started: string[] = [];
    // A large batch's positions by key: folds its repeats, and is its index once it runs.
    const own = keys.length >= OWN_TABLE_KEYS ? new Map<string, number>() : null;
    let batch: FlightBatch<V> | null = null;
    let finish!: () => void;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const flight = this.#find(key);
      if (flight !== undefined) {
        out[i] = flight;
        continue;
      }
      if (batch === null) [batch, finish] = newBatch<V>(started);
      if (own === null) {
        // Registered at once: a repeat of `key` further on finds this flight and joins it.
        const created: Flight<V> = { batch, index: started.length };
        this.#flights.set(key, created);
        out[i] = created;
        started.push(key);
      } else if (!own.has(key)) {
        // Its flight (and a repeat's) is made below, only if the call does not get the batch.
        own.set(key, started.length);
        started.push(key);
      }
    }
    if (batch === null) return out;
    if (own !== null) this.#large.push({ batch, members: null, index: own });
    void this.#run(batch, own !== null, work, finish);
    // Every key new (and distinct): `started` is a copy of the caller's keys, in order.
    if (started.length === keys.length) return batch;
    if (own !== null) {
      for (let i = 0; i < keys.length; i++) {
        out[i] ??= { batch, index: own.get(keys[i]!)! };
      }
    }
    return out;
  }

  /**
   * {@link load} of a large batch while nothing else is in flight: no key can be joined, so
   * nothing is looked up; the keys only need folding. A set of them does that (a repeat shows
   * as a set smaller than the batch, and then null is returned with nothing registered, for the
   * general path to fold the repeats), and then serves as the batch's membership test until
   * someone looks up one of its keys (keys the caller vouched `distinct` need no set: ~25 µs
   * per 1000 keys). No object per key, no index. The batch keeps a copy of `keys` (about 1 µs
   * for 1000 keys), never the caller's array.
   */
  #loadAlone(
    callerKeys: readonly string[],
    work: FlightWork<V>,
    distinct: boolean,
  ): FlightBatch<V> | null {
    const keys = callerKeys.slice();
    const members = distinct ? null : new Set(keys);
    if (members !== null && members.size !== keys.length) return null;
    const [batch, finish] = newBatch<V>(keys);
    this.#large.push({ batch, members, index: null });
    void this.#run(batch, true, work, finish);
    return batch;
  }

  /** Whether a fetch of `key` is in flight (or still writing its back-fill). */
  has(key: string): boolean {
    if (this.#flights.has(key)) return true;
    for (const large of this.#large) {
      if (large.index === null && large.members !== null) {
        if (large.members.has(key)) return true;
      } else if (this.#position(large, key) >= 0) return true;
    }
    return false;
  }

  /** Detaches the flight of `key`, if any: its callers still get the value, nothing is back-filled. */
  forget(key: string): void {
    const flight = this.#flights.get(key);
    if (flight !== undefined) {
      detach(flight.batch, flight.index);
      this.#flights.delete(key);
      return;
    }
    for (const large of this.#large) {
      const at = this.#position(large, key);
      if (at < 0) continue;
      detach(large.batch, at);
      large.index!.delete(key);
      return;
    }
  }

  /** Detaches every flight (after a clear or close). */
  forgetAll(): void {
    for (const flight of this.#flights.values()) detach(flight.batch, flight.index);
    this.#flights.clear();
    // No index needed: every position of a large batch is detached, and the batch leaves.
    for (const { batch } of this.#large) batch.detached = new Uint8Array(batch.keys.length).fill(1);
    this.#large.length = 0;
  }

  /** The position of `key` in a large batch, or -1; builds the batch's index if `key` is in it. */
  #position(large: LargeBatch<V>, key: string): number {
    if (large.index === null) {
      if (large.members !== null && !large.members.has(key)) return -1;
      // Every position is current until the index exists (see LargeBatch.members).
      large.index = indexOf(large.batch.keys);
      large.members = null;
    }
    return large.index.get(key) ?? -1;
  }

  /** The flight of `key` in any table (a key is in at most one). */
  #find(key: string): Flight<V> | undefined {
    const flight = this.#flights.get(key);
    if (flight !== undefined || this.#large.length === 0) return flight;
    for (const large of this.#large) {
      const at = this.#position(large, key);
      if (at >= 0) return { batch: large.batch, index: at };
    }
    return undefined;
  }

  async #run(
    batch: FlightBatch<V>,
    large: boolean,
    work: FlightWork<V>,
    finish: () => void,
  ): Promise<void> {
    let settled: Promise<void> | null = null;
    try {
      const result = await work(batch.keys, batch);
      batch.values = result.values;
      batch.failed = result.failed;
      batch.error = result.error;
      batch.loaded = result.loaded;
      settled = result.settled;
    } catch (error) {
      // A failed batch reaches this batch's callers only and leaves nothing behind.
      batch.error = error;
      batch.failed = new Uint8Array(batch.keys.length).fill(1);
    }
    finish();
    try {
      await settled;
    } catch {
      // The back-fill reports its own failures; the flights end either way.
    }
    if (large) {
      // A large batch's index holds only its own current keys: dropped whole (unless
      // forgetAll already dropped it).
      const at = this.#large.findIndex((entry) => entry.batch === batch);
      if (at >= 0) this.#large.splice(at, 1);
      return;
    }
    // A current position is still the shared table's entry for its key (only forget() removes
    // an entry, and it detaches the position), so no lookup is needed to tell whose entry it is.
    const { keys, detached } = batch;
    for (let j = 0; j < keys.length; j++) {
      if (detached === null || detached[j] === 0) this.#flights.delete(keys[j]!);
    }
  }
}
