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
 *
 * @module
 */

/** One batch fetch: its keys, and once `done` resolves, their values or error. */
export interface FlightBatch<V> {
  /** Set once, by {@link SingleFlight.load}. */
  keys: readonly string[];
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

/** The value a settled flight carries; throws the batch's error for a key that failed. */
export function flightValue<V>(flight: Flight<V>): V | undefined {
  const { batch, index } = flight;
  if (batch.failed?.[index]) throw batch.error;
  return batch.values[index];
}

/** A per-process table of fetches in flight, keyed by cache key. */
export class SingleFlight<V> {
  readonly #flights = new Map<string, Flight<V>>();

  /** Number of keys being fetched right now. */
  get size(): number {
    return this.#flights.size;
  }

  /**
   * Returns one flight per key of `keys`: joined when already in flight, otherwise part of a single
   * `work` call covering every new key. A key repeated in `keys` joins its first occurrence's
   * flight (so callers need not dedupe). Await the distinct batches' `done`, then read each with
   * {@link flightValue}.
   */
  load(keys: readonly string[], work: FlightWork<V>): Array<Flight<V>> {
    const out = new Array<Flight<V>>(keys.length);
    const started: string[] = [];
    const flights: Array<Flight<V>> = [];
    let batch: FlightBatch<V> | null = null;
    let finish!: () => void;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      let flight = this.#flights.get(key);
      if (flight === undefined) {
        batch ??= {
          keys: started,
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
        this.#flights.set(key, flight);
      }
      out[i] = flight;
    }
    if (batch === null) return out;
    // When every key is new (and distinct), the batch holds the caller's own array: the caller can
    // then tell, by identity, that the batch's values are aligned with its keys.
    if (started.length === keys.length) batch.keys = keys;
    void this.#run(batch, flights, work, finish);
    return out;
  }

  /** Whether a fetch of `key` is in flight (or still writing its back-fill). */
  has(key: string): boolean {
    return this.#flights.has(key);
  }

  /** Detaches the flight of `key`, if any: its callers still get the value, nothing is back-filled. */
  forget(key: string): void {
    const flight = this.#flights.get(key);
    if (!flight) return;
    flight.current = false;
    this.#flights.delete(key);
  }

  /** Detaches every flight (after a clear or close). */
  forgetAll(): void {
    for (const flight of this.#flights.values()) flight.current = false;
    this.#flights.clear();
  }

  async #run(
    batch: FlightBatch<V>,
    flights: Array<Flight<V>>,
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
    // A current flight is still the table's entry for its key (only forget() removes an entry,
    // and it un-currents the flight), so no lookup is needed to tell whose entry it is. When the
    // table holds nothing else (the usual lone batch), it is emptied at once: a thousand deletes
    // would also shrink and rehash it several times on the way down.
    let current = 0;
    for (let j = 0; j < flights.length; j++) if (flights[j]!.current) current++;
    if (current === this.#flights.size) {
      this.#flights.clear();
      return;
    }
    for (let j = 0; j < flights.length; j++) {
      if (flights[j]!.current) this.#flights.delete(batch.keys[j]!);
    }
  }
}
