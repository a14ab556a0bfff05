/**
 * Tunes one share (the `adaptive` policy's small-queue share of a shard) by hill climbing on
 * the hit ratio, as Caffeine sizes its admission window (Einziger, Eytan, Friedman and Manes,
 * "Adaptive Software Cache Management", Middleware 2018): every sample of requests (ten times
 * the entries held), the share moves one step; the step keeps its direction while the hit ratio
 * does not fall and reverses when it does, and shrinks by 2 % a sample so the share settles. A
 * change of the hit ratio by 5 points or more (a new phase) restarts the climb at a full step.
 * Two counters and a few numbers; nothing is allocated.
 *
 * @module
 */

const MIN_SHARE = 0.01;
const MAX_SHARE = 0.8;
const INITIAL_SHARE = 0.1;
const STEP = 0.0625;
const DECAY = 0.98;
const RESTART = 0.05;

/** A share in [0.01, 0.8] that climbs towards the best hit ratio. */
export class HillClimber {
  #share = INITIAL_SHARE;
  #step = STEP;
  #hits = 0;
  #misses = 0;
  #previous = -1;

  /** The current share. */
  get share(): number {
    return this.#share;
  }

  /** Counts a hit. */
  hit(): void {
    this.#hits++;
  }

  /** Counts a miss; once a sample of `10 x entries` requests is complete, takes a step. */
  miss(entries: number): void {
    this.#misses++;
    const requests = this.#hits + this.#misses;
    if (requests < 10 * Math.max(64, entries)) return;
    const rate = this.#hits / requests;
    this.#hits = 0;
    this.#misses = 0;
    const previous = this.#previous;
    this.#previous = rate;
    if (previous < 0) return;
    const delta = rate - previous;
    const amount = delta >= 0 ? this.#step : -this.#step;
    this.#step = Math.abs(delta) >= RESTART ? Math.sign(amount) * STEP : DECAY * amount;
    this.#share = Math.min(MAX_SHARE, Math.max(MIN_SHARE, this.#share + amount));
  }
}
