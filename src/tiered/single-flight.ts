/**
 * Merges concurrent reads per key, across single and batch reads: a key whose fetch (Redis, then
 * the loader) is already under way is joined, never fetched again; the keys nobody is fetching go
 * to one new batch. A flight stays joinable until its back-fill has been written (so a reader
 * arriving between the load and the Redis write joins it instead of reloading), and a write to
 * the key detaches the flight so that its now-stale result reaches its callers but is never
 * back-filled.
 *
 * @module
 */

/** One key's fetch in progress. */
export interface Flight<V> {
  readonly promise: Promise<V | undefined>;
  /** False once a write or delete made the fetched value stale: skip its back-fill. */
  current: boolean;
}

/**
 * What a batch fetch answers: `lookup(key)` gives the value, `undefined` when no tier and no
 * loader has it, or throws that key's error (a loader error). Flights stay joinable until
 * `settled` (the back-fill) resolves.
 */
export interface FlightResult<V> {
  lookup(key: string): V | undefined;
  settled?: Promise<void>;
}

/** Fetches a batch of keys that no one else is fetching; `flights` is aligned with `keys`. */
export type FlightWork<V> = (
  keys: string[],
  flights: ReadonlyArray<Flight<V>>,
) => Promise<FlightResult<V>>;

interface OwnedFlight<V> extends Flight<V> {
  resolve(value: V | undefined): void;
  reject(error: unknown): void;
}

/** A per-process table of fetches in flight, keyed by cache key. */
export class SingleFlight<V> {
  readonly #flights = new Map<string, OwnedFlight<V>>();

  /** Number of keys being fetched right now. */
  get size(): number {
    return this.#flights.size;
  }

  /**
   * Returns one flight per key of `keys` (which must be unique): joined when already in flight,
   * otherwise started by a single `work` call covering every new key.
   */
  load(keys: readonly string[], work: FlightWork<V>): Array<Flight<V>> {
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
    if (started.length > 0) void this.#run(started, startedFlights, work);
    return flights;
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

  async #run(keys: string[], flights: OwnedFlight<V>[], work: FlightWork<V>): Promise<void> {
    let result: FlightResult<V>;
    try {
      result = await work(keys, flights);
    } catch (error) {
      // A failed batch reaches this batch's callers only and leaves nothing behind.
      for (let i = 0; i < keys.length; i++) flights[i]!.reject(error);
      this.#end(keys, flights);
      return;
    }
    for (let i = 0; i < keys.length; i++) {
      try {
        flights[i]!.resolve(result.lookup(keys[i]!));
      } catch (error) {
        flights[i]!.reject(error);
      }
    }
    try {
      await result.settled;
    } catch {
      // The back-fill reports its own failures; the flights end either way.
    }
    this.#end(keys, flights);
  }

  #end(keys: string[], flights: OwnedFlight<V>[]): void {
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
