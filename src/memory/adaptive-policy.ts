/**
 * The `adaptive` eviction policy: S3-FIFO over queues of chunks (as `s3fifo-policy.ts`) with a
 * TinyLFU admission in place of the ghost queue, and a small queue whose share of the shard is
 * chosen by sampled shadow simulations:
 *
 * - Every request of a key counts in a {@link FrequencySketch}: a miss when the key is stored;
 *   a hit while the entry's 2-bit read count is below 3 (a hot entry stops paying for it),
 *   buffered and counted at the next miss.
 * - New keys enter the small queue. When its oldest chunk is cleaned, entries read there move to
 *   main (as in S3-FIFO); an unread one moves to main too when the sketch says its key is asked
 *   for more often than the entries main has been evicting lately (a moving average of their
 *   estimates), else it is evicted. A key wanted again soon after it left thus comes back into
 *   main, as a ghost hit would send it, and a loop longer than the cache keeps a stable part of
 *   it in main instead of cycling everything through.
 * - Main's oldest chunk is cleaned as in S3-FIFO: entries read since their last pass are
 *   reinserted with one read spent, the others evicted (their estimates feed the average).
 * - The small queue's share (S3-FIFO's fixed 10 %) follows a {@link ShadowSample}: a hash
 *   sample of the shard's requests replayed through per-entry simulations of this policy at a
 *   few fixed shares, the share moving towards the one that missed least. A shard whose index
 *   is too small for a sample (up to 256 slots, about 180 entries) tunes the share with a
 *   {@link HillClimber} on its hit ratio instead (between 1 % and 80 %).
 * - While the shard fills (until its reserved bytes reach half its limit, or its first
 *   eviction), none of this runs: new keys go to `small`, reads only bump their 2-bit count,
 *   and the sketch and the sample are reserved but not allocated ({@link
 *   AdaptivePolicy.counting}). Nothing is evicted before then, so what they would have learnt
 *   decides nothing yet; the sketch counts the rest of the fill before it is first asked (an
 *   index that grows keeps its counts, see {@link FrequencySketch.resized}).
 *
 * Costs: the sketch is sized with the index, 2 bytes of counters plus 1 byte of doorkeeper per
 * index slot (what the `s3fifo` ghost costs) and a 256-byte buffer of hits; the shadow sample
 * 0.7 bytes per index slot (1-2 bytes per entry) plus 108 bytes; all reserved and counted in
 * the shard's bytes from its start, allocated once it counts (as the ghost queue of `s3fifo` is
 * allocated at its first eviction). Until then a new key costs a compare of the shard's reserved
 * bytes, a hit what it costs under `s3fifo`. After: a hit adds to S3-FIFO's header update at
 * most a buffer write, a read of the entry's hash and a compare, and for a sampled key (at most
 * 128 per shard in a large shard) a scan of the shadows.
 *
 * @module
 */
import { ChunkQueue } from './chunk-queue.ts';
import { FREQ_MASK, FREQ_ONE, HASH_WORD, KEY_INFO_WORD } from './entry-layout.ts';
import { FrequencySketch } from './frequency-sketch.ts';
import { HillClimber } from './hill-climber.ts';
import { MIN_CAPACITY } from './index-table.ts';
import type { Policy, PolicyHost } from './policy.ts';
import { evictSmallOrMain } from './s3fifo-policy.ts';
import {
  MAX_SHADOW_ENTRIES,
  MIN_SHADOW_ENTRIES,
  SHADOW_SHARES,
  ShadowSample,
} from './shadow-sample.ts';

/**
 * Bytes of shadow sample per index slot. The index holds entries at 35-70 % load, so this is
 * 1-2 bytes per entry: within the 2 bytes per entry `adaptive` may spend beyond `s3fifo`.
 */
const SHADOW_BYTES_PER_SLOT = 0.7;

/** Hits in a row after which a shard counts as only hitting (see {@link ShadowSample.access}). */
const HITS_WITHOUT_MISS = 1024;

/** Fewest counters per sketch row: one 64-byte block per row quarter (see the sketch). */
const MIN_SKETCH_WIDTH = 32;

/** Weight of each main eviction in the moving average of evicted entries' estimates. */
const VICTIM_WEIGHT = 1 / 32;

/**
 * The share of the shard's byte limit its reserved bytes reach when the policy starts counting
 * (see {@link AdaptivePolicy.counting}): half, as Caffeine starts its sketch once the cache's
 * weighted size reaches half its maximum.
 */
const START_SHARE = 0.5;

/** S3-FIFO with sketch admission and a hill-climbed small queue. */
export class AdaptivePolicy implements Policy {
  readonly #host: PolicyHost;
  readonly #main = new ChunkQueue();
  readonly #small = new ChunkQueue();
  readonly queues: readonly ChunkQueue[] = [this.#main, this.#small];
  readonly tracksPositions = false;
  readonly #climber = new HillClimber();
  /** Reserved bytes at which the shard counts as close to full (see {@link counting}). */
  readonly #startAt: number;
  /** Whether the sketch and the shadow sample exist and count (see {@link counting}). */
  #counting = false;
  /** Width of the sketch reserved for the index (0: none), allocated once counting. */
  #sketchWidth = 0;
  /** Entries per shadow of the sample reserved for the index (0: none), allocated once counting. */
  #shadowEntries = 0;
  /** Absent while the index is minimal, or until the policy counts; sized with the index. */
  #sketch: FrequencySketch | undefined;
  /** Moving average of the sketch estimates of the entries main evicted. */
  #victimFrequency = 0;
  /** Absent while the index is small, or until the policy counts; sized with the index. */
  #shadow: ShadowSample | undefined;
  #newKeys = 0;
  /** Hits since the last miss: a shard past {@link HITS_WITHOUT_MISS} of them only hits. */
  #hitsSinceMiss = 0;

  constructor(host: PolicyHost) {
    this.#host = host;
    this.#startAt = Math.floor(host.limitBytes * START_SHARE);
  }

  /** The sketch's and the shadow sample's bytes, reserved whether or not they are allocated yet. */
  get bytes(): number {
    return (
      (this.#sketchWidth > 0 ? FrequencySketch.bytesFor(this.#sketchWidth) : 0) +
      (this.#shadowEntries > 0 ? ShadowSample.bytesFor(this.#shadowEntries) : 0)
    );
  }

  /**
   * Whether the policy counts requests: false while the shard fills, until its reserved bytes
   * reach half its limit or it first evicts, whichever comes first. Until then the sketch and
   * the shadow sample are reserved but not allocated, nothing is counted or sampled, and the
   * policy is S3-FIFO with no ghost (new keys into `small`), which only matters once something
   * is evicted. A store filling without evicting thus pays what `s3fifo` pays per new key.
   */
  get counting(): boolean {
    return this.#counting;
  }

  /** The small queue's current share of the shard's chunk bytes (for tests and docs). */
  get smallShare(): number {
    return this.#shadow?.share ?? this.#climber.share;
  }

  /** Bytes of the arrays allocated so far: 0 until {@link counting}, then {@link bytes} (for tests). */
  get allocatedBytes(): number {
    return (this.#sketch?.bytes ?? 0) + (this.#shadow?.bytes ?? 0);
  }

  /** The sketch's estimate of `hash`'s recent requests, 0 while not counting (for tests). */
  frequency(hash: number): number {
    return this.#sketch?.estimate(hash) ?? 0;
  }

  queueFor(hash: number): ChunkQueue {
    if (!this.#counting) {
      if (this.#host.reservedBytes < this.#startAt) return this.#small;
      this.#start();
    }
    this.#sketch?.increment(hash);
    const shadow = this.#shadow;
    if (shadow === undefined) this.#climber.miss(this.#host.table.count);
    else {
      if ((++this.#newKeys & 63) === 0) shadow.scaleTo(this.#host.table.count);
      if (shadow.sampled(hash)) shadow.access(hash, this.#sketch, true);
    }
    this.#hitsSinceMiss = 0;
    return this.#small;
  }

  onInsert(): void {}

  onHit(words: Int32Array, infoWord: number): void {
    if (!this.#counting) {
      const info = words[infoWord]!;
      if ((info & FREQ_MASK) !== FREQ_MASK) words[infoWord] = info + FREQ_ONE;
      return;
    }
    const hash = words[infoWord - KEY_INFO_WORD + HASH_WORD]!;
    const shadow = this.#shadow;
    if (shadow === undefined) this.#climber.hit();
    else if (shadow.sampled(hash)) {
      shadow.access(hash, this.#sketch, this.#hitsSinceMiss < HITS_WITHOUT_MISS);
    }
    this.#hitsSinceMiss++;
    const info = words[infoWord]!;
    if ((info & FREQ_MASK) === FREQ_MASK) return;
    words[infoWord] = info + FREQ_ONE;
    this.#sketch?.incrementLater(hash);
  }

  onRemove(): void {}

  keeps(words: Int32Array, infoWord: number, queue: ChunkQueue): boolean {
    const info = words[infoWord]!;
    const reads = info & FREQ_MASK;
    if (queue === this.#small) {
      if (reads !== 0) {
        words[infoWord] = info - reads;
        return true;
      }
      const sketch = this.#sketch;
      if (sketch === undefined) return false;
      // Admission: asked for before (a one-hit key never passes), and more often than what
      // main has been giving up.
      const estimate = sketch.estimate(words[infoWord - KEY_INFO_WORD + HASH_WORD]!);
      return estimate > 1 && estimate > this.#victimFrequency;
    }
    if (reads !== 0) {
      words[infoWord] = info - FREQ_ONE;
      return true;
    }
    const sketch = this.#sketch;
    if (sketch !== undefined) {
      const estimate = sketch.estimate(words[infoWord - KEY_INFO_WORD + HASH_WORD]!);
      this.#victimFrequency += (estimate - this.#victimFrequency) * VICTIM_WEIGHT;
    }
    return false;
  }

  evict(need: number, force: boolean): boolean {
    if (!this.#counting) this.#start();
    return evictSmallOrMain(this.#host, this.#small, this.#main, this.smallShare, need, force);
  }

  moved(): void {}

  rehashed(): void {}

  resized(capacity: number): void {
    this.#resizeSketch(capacity);
    this.#resizeShadow(capacity);
  }

  /** The shard is close to full: allocates the reserved sketch and shadow sample; they count. */
  #start(): void {
    this.#counting = true;
    if (this.#sketchWidth > 0) this.#sketch = new FrequencySketch(this.#sketchWidth);
    this.#buildShadow(this.smallShare);
  }

  #resizeSketch(capacity: number): void {
    const host = this.#host;
    const width = capacity > MIN_CAPACITY ? Math.max(MIN_SKETCH_WIDTH, capacity) : 0;
    if (width === this.#sketchWidth) return;
    // The sketch only advises: its bytes go back first, and when the new one does not fit the
    // policy runs without one (plain S3-FIFO without a ghost) until the next resize. A new one
    // keeps the old one's counts: a shard's index last grows shortly before it is full, and a
    // sketch rebuilt empty there judged the first admissions on a few hundred requests.
    const old = this.#sketch;
    if (this.#sketchWidth > 0) host.release(FrequencySketch.bytesFor(this.#sketchWidth));
    this.#sketch = undefined;
    this.#sketchWidth = width > 0 && host.tryReserve(FrequencySketch.bytesFor(width)) ? width : 0;
    if (this.#counting && this.#sketchWidth > 0) {
      this.#sketch = old?.resized(this.#sketchWidth) ?? new FrequencySketch(this.#sketchWidth);
    }
  }

  dispose(): void {
    this.#sketch = undefined;
    this.#shadow = undefined;
    this.#sketchWidth = 0;
    this.#shadowEntries = 0;
  }

  /**
   * Rebuilds the shadow sample for an index of `capacity` slots (after the sketch, which
   * matters more when bytes are short). Like the sketch it only advises: when its bytes do not
   * fit, or the index is too small for a sample worth simulating, the hill climber sets the
   * share instead.
   */
  #resizeShadow(capacity: number): void {
    const host = this.#host;
    const entries = Math.min(
      MAX_SHADOW_ENTRIES,
      Math.floor((capacity * SHADOW_BYTES_PER_SLOT) / (4 * SHADOW_SHARES.length)),
    );
    const wanted = entries >= MIN_SHADOW_ENTRIES ? entries : 0;
    if (wanted === this.#shadowEntries) return;
    const share = this.smallShare;
    if (this.#shadowEntries > 0) host.release(ShadowSample.bytesFor(this.#shadowEntries));
    this.#shadow = undefined;
    this.#shadowEntries = wanted > 0 && host.tryReserve(ShadowSample.bytesFor(wanted)) ? wanted : 0;
    if (this.#counting) this.#buildShadow(share);
  }

  /** Allocates the reserved shadow sample (if any), starting at the share nearest `share`. */
  #buildShadow(share: number): void {
    if (this.#shadowEntries === 0) return;
    this.#shadow = new ShadowSample(this.#shadowEntries, share);
    this.#shadow.scaleTo(this.#host.table.count);
  }
}
