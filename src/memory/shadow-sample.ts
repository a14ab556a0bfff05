/**
 * Sampled shadow caches that steer the `adaptive` policy (spatial sampling as in SHARDS,
 * Waldspurger et al., FAST 2015): a fixed fraction of the key space, picked by the key hash, is
 * replayed through a few small per-entry simulations, and the shard follows the one that misses
 * least.
 *
 * - Three shadows simulate the policy's S3-FIFO mode (small and main queues with the shard's
 *   frequency-sketch admission), each at one small-queue share of {@link SHADOW_SHARES}. Every
 *   window (16 sampled requests per shadow entry) the shard's share moves halfway towards the
 *   share of the one that missed least, misses counted with those of past windows at weight 3/4
 *   per window: halfway, so that a workload on which two shadows take turns at winning settles
 *   between them (both orm traces of the replay measured best near 0.5, between the 0.3 and 0.6
 *   shadows).
 * - A fourth simulates the CLOCK mode: one ring, a missed key enters at its head, the oldest
 *   entry leaves unless read since it entered or last went round, in which case it goes round
 *   again with its reads cleared (about LRU, which S3-FIFO loses to on some recency traces).
 * - **Granularity penalty.** The shard runs its queues on whole chunks, the shadows entry by
 *   entry, and the chunk log costs S3-FIFO more than CLOCK (measured: the shard's S3-FIFO misses
 *   up to a few percent more than its per-entry shadow where its CLOCK misses no more than its
 *   own): comparing shadows alone favours S3-FIFO exactly where CLOCK wins. So the sample also
 *   counts the shard's own misses on sampled keys, and while a mode runs it measures the ratio
 *   of those to its shadow's (the best S3-FIFO shadow, or the CLOCK one): what that mode costs
 *   on chunks, sampling error included (a shadow whose few sampled keys happen to fit it never
 *   misses, the shard does). Each shadow's misses are weighed by its mode's last measured
 *   penalty (1 until measured) before the modes are compared, and the mode changes when the
 *   other costs less than {@link SWITCH_MARGIN} of the current one, no sooner than {@link
 *   DWELL_WINDOWS} windows after the last change.
 *
 * Why shadows and not a hill climber on the shard's own hit ratio: every shadow sees the same
 * sampled requests at the same time, so a drift of the workload moves all of them alike and
 * cancels when they are compared, where a climber compares one sample of the trace with the
 * next and follows the trace instead of the share. (The penalty compares the shard with a
 * shadow over the same requests too.)
 *
 * Sampling: a hash is sampled when bits 16-29 of it, read as a number, are below a threshold
 * (at most 4096 of 16384, a rate of at most 1/4). Sampled hashes thus have bits 28-29 clear,
 * and a shadow entry is one `Int32Array` cell: the hash with its 2-bit read count in those
 * bits. The shard picks keys by its low bits and its index by a product of all of them, so
 * bits 16-29 are as good a sample of a shard's keys as any. A shadow simulates the shard's
 * entries times the rate, rounded down, so it never holds more of the sample than the shard.
 *
 * Layout: one `Int32Array` of `shadows x capacity` cells; S3-FIFO shadow `g` holds its small
 * ring in the first `ceil(share x capacity)` cells of its region and its main ring in the rest,
 * the CLOCK shadow one ring in its whole region. Lookups scan the rings (capacity is at most
 * {@link MAX_SHADOW_ENTRIES}); only sampled requests pay. Nothing is allocated after
 * construction.
 *
 * @module
 */
import type { FrequencySketch } from './frequency-sketch.ts';

/** The small-queue shares simulated, one S3-FIFO shadow each, smallest first. */
export const SHADOW_SHARES: readonly number[] = [0.03, 0.3, 0.6];

/** Shadows in a sample: one per share of {@link SHADOW_SHARES}, then the CLOCK shadow. */
export const SHADOWS = SHADOW_SHARES.length + 1;

/** Most entries one shadow holds (a scan per sampled request stays short). */
export const MAX_SHADOW_ENTRIES = 128;

/** Fewest entries a shadow worth simulating holds. */
export const MIN_SHADOW_ENTRIES = 16;

/** The shard's S3-FIFO mode (small and main queues, sketch admission). */
export const S3FIFO_MODE = 0;
/** The shard's CLOCK mode (new keys into main, read entries go round with reads cleared). */
export const CLOCK_MODE = 1;

/** Index of the CLOCK shadow. */
const CLOCK = SHADOW_SHARES.length;

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

/** Windows after the sample starts before the mode may change (the shadows fill first). */
const START_WINDOWS = 4;
/** Windows after a change of mode before its penalty is measured (what small held drains). */
const SETTLE_WINDOWS = 2;
/** Windows a mode is kept at least, so that its penalty is measured before it is judged. */
const DWELL_WINDOWS = 4;
/**
 * Weight past windows keep in a mode's measured penalty: slower than the shadows' misses, since
 * the penalty is a property of the workload on the chunk log rather than of the trace's moment.
 */
const PENALTY_DECAY = 0.9;
/** The other mode must cost less than this fraction of the current one's to be chosen. */
export const SWITCH_MARGIN = 0.99;

// Per-shadow state words.
const SMALL_START = 0;
const SMALL_COUNT = 1;
const MAIN_START = 2;
const MAIN_COUNT = 3;
const STATE_WORDS = 4;

// Words of the mode state (a Float64Array).
/** Penalty of each mode (S3-FIFO at 0, CLOCK at 1): the shard's misses over its shadow's. */
const PENALTY = 0;
/** Decayed shard misses and shadow misses of the current mode since it settled. */
const SHARD_SUM = 2;
const SHADOW_SUM = 3;
/** Sampled misses of the shard, and of each shadow, in the current window. */
const SHARD_WINDOW = 4;
const SHADOW_WINDOW = 5;
const MODE_WORDS = SHADOW_WINDOW + SHADOWS;

/** Small per-entry simulations of the policy's two modes, over a hash sample. */
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
  /** Penalties and the counts they are measured from (see the word constants). */
  readonly #modeState: Float64Array;
  /** Sampled when bits 16-29 of the hash are below this. */
  #threshold = MAX_THRESHOLD;
  /** Entries each shadow simulates now: the shard's entries times the sampling rate. */
  #entries: number;
  #requests = 0;
  #best: number;
  #share: number;
  #mode: number;
  /** Windows decided since the sample started, and since the mode last changed. */
  #windows = 0;
  #windowsInMode = 0;
  /** Whether estimates first count the sketch's buffered hits (see {@link access}). */
  #countPending = true;

  /** Bytes a sample of `capacity` entries per shadow holds. */
  static bytesFor(capacity: number): number {
    return SHADOWS * (capacity * 4 + STATE_WORDS * 4 + 4 + 16) + MODE_WORDS * 8;
  }

  /**
   * `capacity`: entries per shadow, from {@link MIN_SHADOW_ENTRIES} to {@link
   * MAX_SHADOW_ENTRIES}; the share starts at the simulated share nearest `initialShare`. A
   * sample rebuilt for a resized index starts from the mode and penalties of `previous`.
   */
  constructor(capacity: number, initialShare: number, previous?: ShadowSample) {
    this.#capacity = capacity;
    this.#entries = capacity;
    this.#cells = new Int32Array(SHADOWS * capacity);
    this.#state = new Int32Array(SHADOWS * STATE_WORDS);
    this.#smallCells = new Int32Array(SHADOWS);
    this.#misses = new Float64Array(SHADOWS);
    this.#victims = new Float64Array(SHADOWS);
    this.#modeState = new Float64Array(MODE_WORDS);
    for (let g = 0; g < CLOCK; g++) {
      this.#smallCells[g] = Math.min(capacity - 1, Math.ceil(SHADOW_SHARES[g]! * capacity));
    }
    let best = 0;
    for (let g = 1; g < CLOCK; g++) {
      if (
        Math.abs(SHADOW_SHARES[g]! - initialShare) < Math.abs(SHADOW_SHARES[best]! - initialShare)
      )
        best = g;
    }
    this.#best = best;
    this.#share = SHADOW_SHARES[best]!;
    const modeState = this.#modeState;
    if (previous === undefined) {
      this.#mode = S3FIFO_MODE;
      modeState[PENALTY + S3FIFO_MODE] = 1;
      modeState[PENALTY + CLOCK_MODE] = 1;
    } else {
      this.#mode = previous.#mode;
      modeState[PENALTY + S3FIFO_MODE] = previous.#modeState[PENALTY + S3FIFO_MODE]!;
      modeState[PENALTY + CLOCK_MODE] = previous.#modeState[PENALTY + CLOCK_MODE]!;
    }
  }

  /** Entries per shadow (its arrays' size). */
  get capacity(): number {
    return this.#capacity;
  }

  /** Bytes held. */
  get bytes(): number {
    return ShadowSample.bytesFor(this.#capacity);
  }

  /** The small-queue share the shard should use in S3-FIFO mode. */
  get share(): number {
    return this.#share;
  }

  /** The mode the shard should run: {@link S3FIFO_MODE} or {@link CLOCK_MODE}. */
  get mode(): number {
    return this.#mode;
  }

  /** The last measured penalty of `mode` (the shard's sampled misses over its shadow's). */
  penalty(mode: number): number {
    return this.#modeState[PENALTY + mode]!;
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
    // Rounded down: a shadow larger than its share of the shard would flatter its mode (a
    // shadow that holds every sampled key of a loop never misses, the shard does).
    this.#entries = Math.max(
      2,
      Math.min(this.#capacity, Math.floor((n * threshold) / SAMPLE_SPACE)),
    );
  }

  /**
   * Replays one request of a sampled `hash` through every shadow. `shardMissed`: the shard
   * missed it (the key is being stored). `missing`: the shard has missed lately, so the
   * sketch's buffered hits are counted before the shadows estimate (as the shard's next miss
   * would count them anyway); a shard that only hits leaves them buffered and the shadows
   * estimate without them (counting them would cost a shard that never misses up to 64 counter
   * updates per sampled hit, 7-9 % of its `get` throughput; and a shard that does not miss
   * admits nothing, so what its shadows admit matters little).
   */
  access(
    hash: number,
    sketch: FrequencySketch | undefined,
    missing: boolean,
    shardMissed: boolean,
  ): void {
    this.#countPending = missing;
    const modeState = this.#modeState;
    if (shardMissed) modeState[SHARD_WINDOW]!++;
    for (let g = 0; g < CLOCK; g++) {
      if (!this.#hit(g, hash)) {
        this.#misses[g]!++;
        modeState[SHADOW_WINDOW + g]!++;
        this.#insert(g, hash, sketch);
      }
    }
    if (!this.#hitClock(hash)) {
      this.#misses[CLOCK]!++;
      modeState[SHADOW_WINDOW + CLOCK]!++;
      this.#insertClock(hash);
    }
    if (++this.#requests >= WINDOW * this.#entries) this.#decide();
  }

  /**
   * At the end of a window: moves the share towards the S3-FIFO shadow with the fewest misses,
   * measures the current mode's penalty, compares the modes, then lets the past weigh less.
   */
  #decide(): void {
    this.#requests = 0;
    const misses = this.#misses;
    let best = this.#best;
    for (let g = 0; g < CLOCK; g++) if (misses[g]! < misses[best]!) best = g;
    this.#best = best;
    this.#share += (SHADOW_SHARES[best]! - this.#share) * SMOOTH;
    this.#windows++;
    this.#windowsInMode++;
    const modeState = this.#modeState;
    const mode = this.#mode;
    if (this.#windowsInMode > SETTLE_WINDOWS) {
      const shadowWindow = modeState[SHADOW_WINDOW + (mode === CLOCK_MODE ? CLOCK : best)]!;
      modeState[SHARD_SUM] = modeState[SHARD_SUM]! * PENALTY_DECAY + modeState[SHARD_WINDOW]!;
      modeState[SHADOW_SUM] = modeState[SHADOW_SUM]! * PENALTY_DECAY + shadowWindow;
      // One miss added to each side keeps a shadow that hardly misses from a division by 0.
      modeState[PENALTY + mode] = (modeState[SHARD_SUM]! + 1) / (modeState[SHADOW_SUM]! + 1);
    }
    if (this.#windows > START_WINDOWS && this.#windowsInMode >= DWELL_WINDOWS) {
      const s3fifo = misses[best]! * modeState[PENALTY + S3FIFO_MODE]!;
      const clock = misses[CLOCK]! * modeState[PENALTY + CLOCK_MODE]!;
      const change =
        mode === S3FIFO_MODE ? clock < s3fifo * SWITCH_MARGIN : s3fifo < clock * SWITCH_MARGIN;
      if (change) {
        this.#mode = mode === S3FIFO_MODE ? CLOCK_MODE : S3FIFO_MODE;
        this.#windowsInMode = 0;
        modeState[SHARD_SUM] = 0;
        modeState[SHADOW_SUM] = 0;
      }
    }
    for (let g = 0; g < SHADOWS; g++) {
      misses[g] = misses[g]! * DECAY;
      modeState[SHADOW_WINDOW + g] = 0;
    }
    modeState[SHARD_WINDOW] = 0;
  }

  /** Looks `hash` up in S3-FIFO shadow `g`; on a hit, counts the read (saturating at 3). */
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

  /** Looks `hash` up in the CLOCK shadow's ring; on a hit, counts the read. */
  #hitClock(hash: number): boolean {
    const s = CLOCK * STATE_WORDS;
    const state = this.#state;
    return this.#find(
      CLOCK * this.#capacity,
      this.#capacity,
      state[s + MAIN_START]!,
      state[s + MAIN_COUNT]!,
      hash,
      this.#cells,
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

  /** A missed `hash` enters the CLOCK ring; read entries at its tail go round, reads cleared. */
  #insertClock(hash: number): void {
    const base = CLOCK * this.#capacity;
    const size = this.#capacity;
    const at = CLOCK * STATE_WORDS + MAIN_START;
    const state = this.#state;
    while (state[at + 1]! >= this.#entries) {
      const cell = this.#pop(base, size, at);
      if ((cell & FREQ_BITS) !== 0) this.#push(base, size, at, cell & ~FREQ_BITS);
    }
    this.#push(base, size, at, hash);
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
