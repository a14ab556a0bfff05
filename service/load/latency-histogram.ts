import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

// Node's own HDR histogram (perf_hooks.createHistogram) keeps the counts: values are recorded in
// whole microseconds with 3 significant digits, so a percentile is within 0.1 % of the exact one
// (plus the rounding to 1 µs), in a fixed amount of memory whatever the number of samples.
const US_PER_MS = 1000;

/** Action latencies of a load run, in ms, over `perf_hooks.createHistogram`. */
export class LatencyHistogram {
  readonly #histogram: RecordableHistogram = createHistogram();

  /** Records one latency, in ms (at least 1 µs is recorded). */
  record(ms: number): void {
    this.#histogram.record(Math.max(1, Math.round(ms * US_PER_MS)));
  }

  /** Latencies recorded. */
  get count(): number {
    return this.#histogram.count;
  }

  /** Mean latency, in ms (0 when empty). */
  get mean(): number {
    return this.count === 0 ? 0 : this.#histogram.mean / US_PER_MS;
  }

  /** Largest latency, in ms (0 when empty). */
  get max(): number {
    return this.count === 0 ? 0 : this.#histogram.max / US_PER_MS;
  }

  /** The latency below which a fraction `p` (0..1) of the recorded ones fall, in ms (0 when empty). */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    // perf_hooks takes the percentile in (0, 100].
    return (
      this.#histogram.percentile(Math.min(100, Math.max(p * 100, Number.MIN_VALUE))) / US_PER_MS
    );
  }
}
