/**
 * Merges concurrent loads per key, across single and batch reads: a key already being loaded is
 * joined, never loaded again; the keys nobody is loading go to one new batch call. A flight stays
 * registered until its back-fill has been written (so a reader arriving between the load and the
 * Redis write joins it instead of reloading), and a write to the key detaches the flight so that
 * its now-stale result is returned to its callers but never back-filled.
 *
 * @module
 */

/** One key's load in progress. */
export interface Flight<V> {
  readonly promise: Promise<V | undefined>;
  /** False once a write or delete made the loaded value stale: skip its back-fill. */
  current: boolean;
}

interface OwnedFlight<V> extends Flight<V> {
  resolve(value: V | undefined): void;
  reject(error: unknown): void;
}

/**
 * The result of a batch load for the keys this call started: `get(key)` gives the value or
 * `undefined` when the loader does not have it.
 */
export type BatchLoader<V> = (keys: string[]) => Promise<(key: string) => V | undefined>;

/** A per-process table of loads in flight, keyed by cache key. */
export class SingleFlight<V> {
  readonly #flights = new Map<string, OwnedFlight<V>>();

  /** Number of keys being loaded right now. */
  get size(): number {
    return this.#flights.size;
  }

  /**
   * Returns one flight per key of `keys` (which must be unique): joined when already in flight,
   * otherwise started by a single `load` call covering every new key. `backfill` receives the
   * values this call loaded; the flights end when the promise it returns settles.
   */
  load(
    keys: readonly string[],
    load: BatchLoader<V>,
    backfill: (
      loaded: Array<[key: string, value: V | undefined, flight: Flight<V>]>,
    ) => Promise<void>,
  ): Array<Flight<V>> {
    const flights = new Array<Flight<V>>(keys.length);
    const started: string[] = [];
    const startedFlights: OwnedFlight<V>[] = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      let flight = this.#flights.get(key);
      if (!flight) {
        flight = createFlight<V>();
        this.#flights.set(key, flight);
        started.push(key);
        startedFlights.push(flight);
      }
      flights[i] = flight;
    }
    if (started.length > 0) void this.#run(started, startedFlights, load, backfill);
    return flights;
  }

  /** Detaches the flight of `key`, if any: its callers still get the loaded value, nothing is back-filled. */
  forget(key: string): void {
    const flight = this.#flights.get(key);
    if (!flight) return;
    flight.current = false;
    this.#flights.delete(key);
  }

  /** Detaches every flight (after a clear). */
  forgetAll(): void {
    for (const flight of this.#flights.values()) flight.current = false;
    this.#flights.clear();
  }

  async #run(
    keys: string[],
    flights: OwnedFlight<V>[],
    load: BatchLoader<V>,
    backfill: (loaded: Array<[string, V | undefined, Flight<V>]>) => Promise<void>,
  ): Promise<void> {
    let lookup: (key: string) => V | undefined;
    try {
      lookup = await load(keys);
    } catch (error) {
      // Loader errors reach this batch's callers only and leave nothing behind.
      for (let i = 0; i < keys.length; i++) {
        if (this.#flights.get(keys[i]!) === flights[i]) this.#flights.delete(keys[i]!);
        flights[i]!.reject(error);
      }
      return;
    }
    const loaded: Array<[string, V | undefined, Flight<V>]> = [];
    for (let i = 0; i < keys.length; i++) {
      const value = lookup(keys[i]!);
      flights[i]!.resolve(value);
      loaded.push([keys[i]!, value, flights[i]!]);
    }
    try {
      await backfill(loaded);
    } catch {
      // The back-fill reports its own failures; the flights end either way.
    }
    for (let i = 0; i < keys.length; i++) {
      if (this.#flights.get(keys[i]!) === flights[i]) this.#flights.delete(keys[i]!);
    }
  }
}

function createFlight<V>(): OwnedFlight<V> {
  let resolve!: (value: V | undefined) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<V | undefined>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Callers await the flight; this stops a rejection that all of them abandoned from crashing Node.
  promise.catch(() => {});
  return { promise, resolve, reject, current: true };
}
