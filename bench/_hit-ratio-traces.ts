/**
 * Request traces for bench/hit-ratio.ts, generated in-process from a fixed seed so every run
 * (and every cache in a run) sees exactly the same requests. A trace is an `Int32Array` of key
 * ids; the caller turns ids into key strings.
 *
 * @module
 */

/** One trace: a name for the table and the plot, and the key ids requested, in order. */
export interface Trace {
  readonly name: string;
  readonly requests: Int32Array;
}

/** A seeded PRNG (mulberry32): uniform doubles in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A sampler of Zipf-distributed ids in [0, keys): id `i` is drawn with probability
 * proportional to `1 / (i + 1)^alpha`. Inverse-CDF sampling over a precomputed table (8 bytes
 * per key) with a binary search: exact, and about 20 steps per draw for 1M keys.
 */
export function zipfSampler(keys: number, alpha: number, random: () => number): () => number {
  const cdf = new Float64Array(keys);
  let sum = 0;
  for (let i = 0; i < keys; i++) {
    sum += 1 / (i + 1) ** alpha;
    cdf[i] = sum;
  }
  return () => {
    const target = random() * sum;
    let lo = 0;
    let hi = keys - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** `length` requests drawn from Zipf(`alpha`) over `keys` ids. */
export function zipfTrace(keys: number, alpha: number, length: number, seed: number): Trace {
  const next = zipfSampler(keys, alpha, seededRandom(seed));
  const requests = new Int32Array(length);
  for (let i = 0; i < length; i++) requests[i] = next();
  return { name: `zipf ${alpha.toFixed(1)}`, requests };
}

/**
 * Zipf(`alpha`) over `keys` ids, interrupted every `period` requests by a scan of `scan`
 * ids never requested before or after (ids from `keys` upwards): the one-time reads of a
 * batch job or a crawler, which push a recency-only cache's hot entries out.
 */
export function zipfWithScans(
  keys: number,
  alpha: number,
  length: number,
  period: number,
  scan: number,
  seed: number,
): Trace {
  const next = zipfSampler(keys, alpha, seededRandom(seed));
  const requests = new Int32Array(length);
  let fresh = keys;
  for (let i = 0; i < length; ) {
    for (let j = 0; j < period && i < length; j++) requests[i++] = next();
    for (let j = 0; j < scan && i < length; j++) requests[i++] = fresh++;
  }
  return { name: `zipf ${alpha.toFixed(1)} + scans`, requests };
}

/** The ids 0 .. `loop` - 1 requested in order, over and over, `length` requests in all. */
export function loopTrace(loop: number, length: number): Trace {
  const requests = new Int32Array(length);
  for (let i = 0; i < length; i++) requests[i] = i % loop;
  return { name: 'loop', requests };
}

/** The largest id a trace requests, plus one. */
export function idSpan(trace: Trace): number {
  let max = -1;
  for (const id of trace.requests) if (id > max) max = id;
  return max + 1;
}
