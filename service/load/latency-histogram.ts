// Buckets grow by 2 % each: percentiles come out within 2 % of the true value whatever the
// number of samples, in a fixed 8 KiB of counts (1 µs .. about 1 hour).
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = 1100;

/** A fixed-size latency histogram: record millions of latencies, read percentiles within 2 %. */
export class LatencyHistogram {
  #counts = new Uint32Array(BUCKETS);
  #count = 0;
  #max = 0;
  #sum = 0;

  /** Records one latency, in ms. */
  record(ms: number): void {
    const us = Math.max(1, ms * 1000);
    const bucket = Math.min(BUCKETS - 1, Math.floor(Math.log(us) / LOG_GROWTH));
    this.#counts[bucket]!++;
    this.#count++;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
  }

  /** Latencies recorded. */
  get count(): number {
    return this.#count;
  }

  /** Mean latency, in ms (0 when empty). */
  get mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }

  /** Largest latency, in ms. */
  get max(): number {
    return this.#max;
  }

  /** The latency below which a fraction `p` (0..1) of the recorded ones fall, in ms (0 when empty). */
  percentile(p: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(p * this.#count));
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      seen += this.#counts[bucket]!;
      // Report the bucket's upper edge, capped by the true maximum.
      if (seen >= rank) return Math.min(this.#max, GROWTH ** (bucket + 1) / 1000);
    }
    return this.#max;
  }
}
