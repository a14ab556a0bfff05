/**
 * Sampled shadow caches that choose the `adaptive` policy's small-queue share (spatial
 * sampling as in SHARDS, Waldspurger et al., FAST 2015): a fixed fraction of the key space,
 * picked by the key hash, is replayed through a few small per-entry simulations of the same
 * policy (S3-FIFO queues with the shard's frequency-sketch admission), each at one small-queue
 * share of {@link SHADOW_SHARES}. Each shadow holds the sampling rate times the entries the
 * shard holds, so its miss ratio estimates the shard's at that share. Every window (16 sampled
 * requests per shadow entry) the shard's share moves halfway towards the share of the shadow
 * that missed least, its misses counted with those of past windows at weight 3/4 per window:
 * halfway, so that a workload on which two shadows take turns at winning settles between them
 * (both orm traces of the replay measured best near 0.5, between the 0.3 and 0.6 shadows).
 *
 * Why shadows and not a hill climber on the shard's own hit ratio: every shadow sees the same
 * sampled requests at the same time, so a drift of the workload moves all of them alike and
 * cancels when they are compared, where a climber compares one sample of the trace with the
 * next and follows the trace instead of the share.
 *
 * Sampling: a hash is sampled when bits 16-29 of it, read as a number, are below a threshold
 * (at most 4096 of 16384, a rate of at most 1/4). Sampled hashes thus have bits 28-29 clear,
 * and a shadow entry is one `Int32Array` cell: the hash with its 2-bit read count in those
 * bits. The shard picks keys by its low bits and its index by a product of all of them, so
 * bits 16-29 are as good a sample of a shard's keys as any.
 *
 * Layout: one `Int32Array` of `shares x capacity` cells; shadow `g` holds its small ring in
 * the first `ceil(share x capacity)` cells of its region and its main ring in the rest. Lookups
 * scan the rings (capacity is at most {@link MAX_SHADOW_ENTRIES}); only sampled requests pay.
 * Nothing is allocated after construction.
 *
 * @module
 */
import type { FrequencySketch } from './frequency-sketch.ts';

/** The small-queue shares simulated, one shadow each, smallest first. */
export const SHADOW_SHARES: readonly number[] = [0.03, 0.3, 0.6];

/** Most entries one shadow holds (a scan per sampled request stays short). */
export const MAX_SHADOW_ENTRIES = 128;

/** Fewest entries a shadow worth simulating holds. */
export const MIN_SHADOW_ENTRIES = 16;

const FREQ_SHIFT = 28;
const FREQ_BITS = 3 << FREQ_SHIFT;
const FREQ_ONE = 1 << FREQ_SHIFT;
/** Sampling reads bits 16-29 of the hash: 16384 values. */
const SAMPLE_SPACE = 1 << 14;
/** At most a quarter of the space, so a sampled hash has bits 28-29 clear. */
const MAX_THRESHOLD = SAMPLE_SPACE >>> 2;

/** Sampled requests per window, per shadow entry: a decision every `WINDOW x entries`. */
const WINDOW = 16;
/** Weight the misses of past windows keep at each decision. */
const DECAY = 0.75;
/** How far the share moves towards the winning shadow's at each decision. */
const SMOOTH = 0.5;
/** Weight of each eviction in a shadow's moving average of victims' estimates. */
const VICTIM_WEIGHT = 1 / 32;

// Per-shadow state words.
const SMALL_START = 0;
const SMALL_COUNT = 1;
const MAIN_START = 2;
const MAIN_COUNT = 3;
const STATE_WORDS = 4;

/** Small per-entry simulations of the policy at fixed shares, over a hash sample. */
export class ShadowSample {
  readonly #capacity: number;
  readonly #cells: Int32Array;
  readonly #state: Int32Array;
  /** Per shadow: cells of its small ring (its main ring is the rest of its region). */
  readonly #smallCells: Int32Array;
  /** Per shadow: misses over the current and past windows (decayed). */
  readonly #misses: Float64Array;
  /** Per shadow: moving average of the sketch estimates of what its main evicted. */
  readonly #victims: Float64Array;
  /** Sampled when bits 16-29 of the hash are below this. */
  #threshold = MAX_THRESHOLD;
  /** Entries each shadow simulates now: the shard's entries times the sampling rate. */
  #entries: number;
  #requests = 0;
  #best: number;
  #share: number;
  /** Whether estimates first count the sketch's buffered hits (see {@link access}). */
  #countPending = true;

  /** Bytes a sample of `capacity` entries per shadow holds. */
  static bytesFor(capacity: number): number {
    return SHADOW_SHARES.length * (capacity * 4 + STATE_WORDS * 4 + 4 + 16);
  }

  /**
   * `capacity`: entries per shadow, from {@link MIN_SHADOW_ENTRIES} to {@link
   * MAX_SHADOW_ENTRIES}; the share starts at the simulated share nearest `initialShare`.
   */
  constructor(capacity: number, initialShare: number) {
    const shadows = SHADOW_SHARES.length;
    this.#capacity = capacity;
    this.#entries = capacity;
    this.#cells = new Int32Array(shadows * capacity);
    this.#state = new Int32Array(shadows * STATE_WORDS);
    this.#smallCells = new Int32Array(shadows);
    this.#misses = new Float64Array(shadows);
    this.#victims = new Float64Array(shadows);
    for (let g = 0; g < shadows; g++) {
      this.#smallCells[g] = Math.min(capacity - 1, Math.ceil(SHADOW_SHARES[g]! * capacity));
    }
    let best = 0;
    for (let g = 1; g < shadows; g++) {
      if (
        Math.abs(SHADOW_SHARES[g]! - initialShare) < Math.abs(SHADOW_SHARES[best]! - initialShare)
      )
        best = g;
    }
    this.#best = best;
    this.#share = SHADOW_SHARES[best]!;
  }

  /** Entries per shadow (its arrays' size). */
  get capacity(): number {
    return this.#capacity;
  }

  /** Bytes held. */
  get bytes(): number {
    return ShadowSample.bytesFor(this.#capacity);
  }

  /** The share the shard should use: moving towards the shadows' recent winners. */
  get share(): number {
    return this.#share;
  }

  /** Whether requests of `hash` are replayed through the shadows. */
  sampled(hash: number): boolean {
    return ((hash >>> 16) & (SAMPLE_SPACE - 1)) < this.#threshold;
  }

  /**
   * Sets the sampling rate for a shard holding `entries` entries: each shadow then simulates
   * its capacity (fewer when even the highest rate samples fewer keys than that).
   */
  scaleTo(entries: number): void {
    const n = Math.max(1, entries);
    let threshold = Math.min(
      MAX_THRESHOLD,
      Math.max(1, Math.round((this.#capacity * SAMPLE_SPACE) / n)),
    );
    // Keep the sample while the shard's size moves little: a new threshold changes which keys
    // the shadows see, and they need a while to fill with the new ones.
    const current = this.#threshold;
    if (Math.abs(threshold - current) * 8 < current) threshold = current;
    this.#threshold = threshold;
    this.#entries = Math.max(
      2,
      Math.min(this.#capacity, Math.round((n * threshold) / SAMPLE_SPACE)),
    );
  }

  /**
   * Replays one request of a sampled `hash` through every shadow. `missing`: the shard has
   * missed lately, so the sketch's buffered hits are counted before the shadows estimate (as
   * the shard's next miss would count them anyway); a shard that only hits leaves them
   * buffered and the shadows estimate without them (counting them would cost a shard that
   * never misses up to 64 counter updates per sampled hit, 7-9 % of its `get` throughput; and
   * a shard that does not miss admits nothing, so what its shadows admit matters little).
   */
  access(hash: number, sketch: FrequencySketch | undefined, missing: boolean): void {
    this.#countPending = missing;
    const shadows = SHADOW_SHARES.length;
    for (let g = 0; g < shadows; g++) {
      if (!this.#hit(g, hash)) {
        this.#misses[g]!++;
        this.#insert(g, hash, sketch);
      }
    }
    if (++this.#requests >= WINDOW * this.#entries) this.#decide();
  }

  /** Moves the share towards the shadow with the fewest misses, then lets the past weigh less. */
  #decide(): void {
    this.#requests = 0;
    const misses = this.#misses;
    let best = this.#best;
    for (let g = 0; g < misses.length; g++) if (misses[g]! < misses[best]!) best = g;
    this.#best = best;
    this.#share += (SHADOW_SHARES[best]! - this.#share) * SMOOTH;
    for (let g = 0; g < misses.length; g++) misses[g] = misses[g]! * DECAY;
  }

  /** Looks `hash` up in shadow `g`; on a hit, counts the read (saturating at 3). */
  #hit(g: number, hash: number): boolean {
    const cells = this.#cells;
    const state = this.#state;
    const base = g * this.#capacity;
    const s = g * STATE_WORDS;
    const smallCells = this.#smallCells[g]!;
    if (this.#find(base, smallCells, state[s + SMALL_START]!, state[s + SMALL_COUNT]!, hash, cells))
      return true;
    return this.#find(
      base + smallCells,
      this.#capacity - smallCells,
      state[s + MAIN_START]!,
      state[s + MAIN_COUNT]!,
      hash,
      cells,
    );
  }

  #find(
    base: number,
    size: number,
    start: number,
    count: number,
    hash: number,
    cells: Int32Array,
  ): boolean {
    let at = start;
    for (let i = 0; i < count; i++) {
      const cell = cells[base + at]!;
      if ((cell & ~FREQ_BITS) === hash) {
        if ((cell & FREQ_BITS) !== FREQ_BITS) cells[base + at] = cell + FREQ_ONE;
        return true;
      }
      if (++at === size) at = 0;
    }
    return false;
  }

  /** A missed `hash` enters shadow `g`'s small ring, evicting as S3-FIFO does. */
  #insert(g: number, hash: number, sketch: FrequencySketch | undefined): void {
    const state = this.#state;
    const s = g * STATE_WORDS;
    const entries = this.#entries;
    const smallCells = this.#smallCells[g]!;
    const smallTarget = Math.max(1, Math.min(smallCells, Math.round(SHADOW_SHARES[g]! * entries)));
    const mainTarget = Math.max(1, Math.min(this.#capacity - smallCells, entries - smallTarget));
    while (state[s + SMALL_COUNT]! >= smallTarget) this.#evictSmall(g, mainTarget, sketch);
    while (
      state[s + SMALL_COUNT]! + state[s + MAIN_COUNT]! >= entries &&
      state[s + MAIN_COUNT]! > 0
    ) {
      this.#evictMain(g, sketch);
    }
    this.#push(g * this.#capacity, smallCells, s + SMALL_START, hash);
  }

  /** The oldest entry of `g`'s small ring moves to main when read or admitted, else leaves. */
  #evictSmall(g: number, mainTarget: number, sketch: FrequencySketch | undefined): void {
    const cell = this.#pop(g * this.#capacity, this.#smallCells[g]!, g * STATE_WORDS + SMALL_START);
    const hash = cell & ~FREQ_BITS;
    if ((cell & FREQ_BITS) === 0) {
      if (sketch === undefined) return;
      const estimate = this.#estimate(sketch, hash);
      if (estimate <= 1 || estimate <= this.#victims[g]!) return;
    }
    const s = g * STATE_WORDS;
    while (this.#state[s + MAIN_COUNT]! >= mainTarget) this.#evictMain(g, sketch);
    const smallCells = this.#smallCells[g]!;
    this.#push(g * this.#capacity + smallCells, this.#capacity - smallCells, s + MAIN_START, hash);
  }

  /** Main's oldest entries go round again with one read spent until an unread one leaves. */
  #evictMain(g: number, sketch: FrequencySketch | undefined): void {
    const smallCells = this.#smallCells[g]!;
    const base = g * this.#capacity + smallCells;
    const size = this.#capacity - smallCells;
    const at = g * STATE_WORDS + MAIN_START;
    for (;;) {
      const cell = this.#pop(base, size, at);
      if ((cell & FREQ_BITS) === 0) {
        if (sketch !== undefined) {
          const victims = this.#victims;
          victims[g] = victims[g]! + (this.#estimate(sketch, cell) - victims[g]!) * VICTIM_WEIGHT;
        }
        return;
      }
      this.#push(base, size, at, cell - FREQ_ONE);
    }
  }

  #estimate(sketch: FrequencySketch, hash: number): number {
    return this.#countPending ? sketch.estimate(hash) : sketch.peek(hash);
  }

  /** Appends `cell` to the ring at `base` of `size` cells whose start and count are at `at`. */
  #push(base: number, size: number, at: number, cell: number): void {
    const state = this.#state;
    const end = state[at]! + state[at + 1]!;
    this.#cells[base + (end >= size ? end - size : end)] = cell;
    state[at + 1]!++;
  }

  /** Takes the oldest cell of the ring at `base` (which holds one). */
  #pop(base: number, size: number, at: number): number {
    const state = this.#state;
    const start = state[at]!;
    const cell = this.#cells[base + start]!;
    state[at] = start + 1 === size ? 0 : start + 1;
    state[at + 1]!--;
    return cell;
  }
}
