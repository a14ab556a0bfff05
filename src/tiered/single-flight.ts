/**
 * Merges concurrent reads per key, across single and batch reads: a key whose fetch (Redis, then
 * the loader) is already under way is joined, never fetched again; the keys nobody is fetching go
 * to one new batch. A flight stays joinable until its back-fill has been written (so a reader
 * arriving between the load and the Redis write joins it instead of reloading), and a write to
 * the key detaches the flight so that its now-stale result reaches its callers but is never
 * back-filled.
 *
 * Cost matters here (a 1000-key `getMany` is 1000 flights): one small object per key and one
 * promise per batch, never a promise per key; values live in an array aligned with the batch.
 * Small batches share one long-lived table; a large batch has a table of its own, dropped whole
 * when it ends (see {@link OWN_TABLE_KEYS}), and a lookup checks the shared table and then the
 * few large batches in flight.
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
  /**
   * True when the `load` call that started the batch had every key new and distinct: `keys`
   * then equals that call's keys, position by position, and so do `values`. A caller learns
   * from this (and its flights' positions, see {@link alignedBatch}) that it may take `values`
   * as its answer.
   */
  readonly aligned: boolean;
  /** Resolves (never rejects) once `values` and `failed` are final. */
  readonly done: Promise<void>;
  /** Values aligned with `keys` once `done`; `undefined` = no tier and no loader has the key. */
  values: Array<V | undefined>;
  /** Positions whose fetch failed with `error` (a loader error), or null when none did. */
  failed: Uint8Array | null;
  error: unknown;
  /** Whether a loader was there to answer the keys no tier held (see {@link FetchResult.loaded}). */
  loaded: boolean;
}

/** One key's place in a batch fetch. */
export interface Flight<V> {
  readonly batch: FlightBatch<V>;
  readonly index: number;
  /** False once a write or delete made the fetched value stale: skip its back-fill. */
  current: boolean;
}

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
 * Fetches `keys` (keys no one else is fetching; `flights` aligned with them) and returns what it
 * found, which the table then hands to every caller of the batch. Throwing fails every key.
 */
export type FlightWork<V> = (
  keys: readonly string[],
  flights: ReadonlyArray<Flight<V>>,
) => Promise<FetchResult<V>>;

/**
 * The batch whose `values` line up with the keys `flights` were loaded for (one flight per key,
 * as `load` returned them), or null when there is none: every flight is in the first flight's
 * batch, at its own position, and the batch has no other keys. Usually the batch the call
 * started itself; a call that joined a batch with the same keys in the same order qualifies
 * too. One pass of two reads per key: no Map, no copy.
 */
export function alignedBatch<V>(flights: ReadonlyArray<Flight<V>>): FlightBatch<V> | null {
  const batch = flights[0]!.batch;
  if (!batch.aligned || batch.keys.length !== flights.length) return null;
  for (let i = 0; i < flights.length; i++) {
    const flight = flights[i]!;
    if (flight.batch !== batch || flight.index !== i) return null;
  }
  return batch;
}

/** The value a settled flight carries; throws the batch's error for a key that failed. */
export function flightValue<V>(flight: Flight<V>): V | undefined {
  const { batch, index } = flight;
  if (batch.failed?.[index]) throw batch.error;
  return batch.values[index];
}

/**
 * Batches of at least this many keys keep their flights in a table of their own, dropped whole
 * when the batch ends, instead of in the shared one. Why: registering a thousand keys in the
 * long-lived shared Map and deleting them again after the Redis round trip measured ~0.3 ms of
 * CPU per 1000-key call (the Map's table growing and shrinking while the call waits), ten
 * times what the same work costs in a fresh Map that is dropped at the end.
 */
export const OWN_TABLE_KEYS = 16;

/** A per-process table of fetches in flight, keyed by cache key. */
export class SingleFlight<V> {
  /** Flights of small batches (a `get`'s single key, small `getMany`s). */
  readonly #flights = new Map<string, Flight<V>>();
  /** The tables of the large batches in flight (usually none or one). */
  readonly #large: Array<Map<string, Flight<V>>> = [];

  /** Number of keys being fetched right now. */
  get size(): number {
    let size = this.#flights.size;
    for (const table of this.#large) size += table.size;
    return size;
  }

  /**
   * Returns one flight per key of `keys`: joined when already in flight, otherwise part of a single
   * `work` call covering every new key. A key repeated in `keys` joins its first occurrence's
   * flight (so callers need not dedupe). Await the distinct batches' `done`, then read each with
   * {@link flightValue}.
   */
  load(keys: readonly string[], work: FlightWork<V>): Array<Flight<V>> {
    if (keys.length >= OWN_TABLE_KEYS && this.#flights.size === 0 && this.#large.length === 0) {
      const alone = this.#loadAlone(keys, work);
      if (alone !== null) return alone;
    }
    const out = new Array<Flight<V>>(keys.length);
    const started: string[] = [];
    const flights: Array<Flight<V>> = [];
    const own = keys.length >= OWN_TABLE_KEYS ? new Map<string, Flight<V>>() : this.#flights;
    // Mutable until the loop ends: `aligned` is known only then.
    let batch: { -readonly [K in keyof FlightBatch<V>]: FlightBatch<V>[K] } | null = null;
    let finish!: () => void;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      let flight = this.#find(key) ?? (own === this.#flights ? undefined : own.get(key));
      if (flight === undefined) {
        batch ??= {
          keys: started,
          aligned: false,
          done: new Promise<void>((resolve) => {
            finish = resolve;
          }),
          values: [],
          failed: null,
          error: undefined,
          loaded: false,
        };
        // Registered at once: a repeat of `key` further on finds this flight and joins it.
        flight = { batch, index: started.length, current: true };
        started.push(key);
        flights.push(flight);
        own.set(key, flight);
      }
      out[i] = flight;
    }
    if (batch === null) return out;
    if (own !== this.#flights) this.#large.push(own);
    // Every key new (and distinct): `started` is a copy of the caller's keys, in order.
    batch.aligned = started.length === keys.length;
    void this.#run(batch, flights, own, work, finish);
    return out;
  }

  /**
   * {@link load} of a large batch while nothing else is in flight: no key can be joined, so
   * each key gets a new flight without the two look-ups per key the general path makes (the
   * tables in flight, then the batch's own table for an earlier repeat); a repeat shows as a
   * table smaller than the batch, and then null is returned with nothing registered, for the
   * general path to fold the repeats. The flights are also the caller's result (all new).
   * The batch keeps a copy of `keys` (about 1 µs for 1000 keys), never the caller's array.
   */
  #loadAlone(callerKeys: readonly string[], work: FlightWork<V>): Array<Flight<V>> | null {
    const keys = callerKeys.slice();
    const n = keys.length;
    const own = new Map<string, Flight<V>>();
    const flights = new Array<Flight<V>>(n);
    let finish!: () => void;
    const batch: FlightBatch<V> = {
      keys,
      aligned: true,
      done: new Promise<void>((resolve) => {
        finish = resolve;
      }),
      values: [],
      failed: null,
      error: undefined,
      loaded: false,
    };
    for (let i = 0; i < n; i++) {
      const flight: Flight<V> = { batch, index: i, current: true };
      flights[i] = flight;
      own.set(keys[i]!, flight);
    }
    if (own.size !== n) return null;
    this.#large.push(own);
    void this.#run(batch, flights, own, work, finish);
    return flights;
  }

  /** Whether a fetch of `key` is in flight (or still writing its back-fill). */
  has(key: string): boolean {
    return this.#find(key) !== undefined;
  }

  /** Detaches the flight of `key`, if any: its callers still get the value, nothing is back-filled. */
  forget(key: string): void {
    const flight = this.#flights.get(key);
    if (flight !== undefined) {
      flight.current = false;
      this.#flights.delete(key);
      return;
    }
    for (const table of this.#large) {
      const found = table.get(key);
      if (found === undefined) continue;
      found.current = false;
      table.delete(key);
      return;
    }
  }

  /** Detaches every flight (after a clear or close). */
  forgetAll(): void {
    for (const flight of this.#flights.values()) flight.current = false;
    this.#flights.clear();
    for (const table of this.#large) {
      for (const flight of table.values()) flight.current = false;
      table.clear();
    }
    this.#large.length = 0;
  }

  /** The flight of `key` in any table (a key is in at most one). */
  #find(key: string): Flight<V> | undefined {
    const flight = this.#flights.get(key);
    if (flight !== undefined || this.#large.length === 0) return flight;
    for (const table of this.#large) {
      const found = table.get(key);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  async #run(
    batch: FlightBatch<V>,
    flights: Array<Flight<V>>,
    table: Map<string, Flight<V>>,
    work: FlightWork<V>,
    finish: () => void,
  ): Promise<void> {
    let settled: Promise<void> | null = null;
    try {
      const result = await work(batch.keys, flights);
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
    if (table !== this.#flights) {
      // A large batch's table holds only its own current flights: dropped whole.
      const at = this.#large.indexOf(table);
      if (at >= 0) this.#large.splice(at, 1);
      return;
    }
    // A current flight is still the table's entry for its key (only forget() removes an entry,
    // and it un-currents the flight), so no lookup is needed to tell whose entry it is.
    for (let j = 0; j < flights.length; j++) {
      if (flights[j]!.current) this.#flights.delete(batch.keys[j]!);
    }
  }
}
