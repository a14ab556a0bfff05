/**
 * A consecutive-failure circuit breaker. `closed`: calls pass. After `failureThreshold` failures
 * in a row it turns `open`: calls are refused without touching Redis for `coolDownMs`. Then it is
 * `half-open`: exactly one probe call passes; its success closes the breaker, its failure opens
 * it for another cool-down. No timers: state changes are computed from the clock on each call.
 *
 * @module
 */

/** The breaker's state, as reported by `stats()`. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Breaker settings. */
export interface BreakerOptions {
  /** Consecutive Redis failures (errors or timeouts) that open the breaker. @default 5 */
  failureThreshold?: number;
  /** How long an open breaker skips Redis before letting one probe through, in ms. @default 5000 */
  coolDownMs?: number;
}

/** Tracks Redis health and decides whether the next call may go to Redis. */
export class Breaker {
  readonly #threshold: number;
  readonly #coolDownMs: number;
  readonly #now: () => number;
  readonly #onChange: (state: BreakerState) => void;
  #failures = 0;
  #openedAt = 0;
  #state: BreakerState = 'closed';
  #probeInFlight = false;

  constructor(
    options: Required<BreakerOptions>,
    now: () => number,
    onChange: (state: BreakerState) => void = () => {},
  ) {
    this.#threshold = options.failureThreshold;
    this.#coolDownMs = options.coolDownMs;
    this.#now = now;
    this.#onChange = onChange;
  }

  /** The current state (an open breaker whose cool-down has passed reads as `half-open`). */
  get state(): BreakerState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.#coolDownMs) {
      return 'half-open';
    }
    return this.#state;
  }

  /** Whether a call may go to Redis now; in half-open state only the first caller gets `true`. */
  allow(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    if (this.#probeInFlight) return false;
    this.#probeInFlight = true;
    this.#set('half-open');
    return true;
  }

  /** Records a call that Redis answered. */
  success(): void {
    this.#failures = 0;
    this.#probeInFlight = false;
    if (this.#state !== 'closed') this.#set('closed');
  }

  /** Records a failed or timed-out call. */
  failure(): void {
    this.#failures++;
    const probeFailed = this.#probeInFlight;
    this.#probeInFlight = false;
    if (probeFailed || (this.#state === 'closed' && this.#failures >= this.#threshold)) {
      this.#openedAt = this.#now();
      this.#set('open');
    }
  }

  #set(state: BreakerState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#onChange(state);
  }
}
