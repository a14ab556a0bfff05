/**
 * The `s3fifo` eviction policy (Yang et al., SOSP 2023), over queues of chunks:
 *
 * - New entries enter a small queue (about 10 % of the shard's chunks). When room is needed and
 *   the small queue is over that share (or main is empty), its oldest chunk is cleaned: entries
 *   read since they entered move to the main queue with their read count reset; the others are
 *   evicted and their hashes remembered by a {@link GhostQueue}.
 * - Otherwise the main queue's oldest chunk is cleaned: entries read since their last pass are
 *   reinserted with one read spent, the others evicted.
 * - A key stored again while its hash is a ghost goes straight to main.
 *
 * A read adds one to a 2-bit count in the entry's header (saturating at 3), a write of an
 * existing key too. The ghost queue is sized with the index (one hash per
 * {@link GHOST_PER_SLOT} index slots, 3 bytes per slot) and counted in the shard's bytes.
 *
 * @module
 */
import { ChunkQueue } from './chunk-queue.ts';
import { FREQ_MASK, FREQ_ONE } from './entry-layout.ts';
import { GhostQueue } from './ghost-queue.ts';
import { MIN_CAPACITY } from './index-table.ts';
import { EVICT, EVICT_ALL, type Policy, type PolicyHost } from './policy.ts';

// New entries spend their first pass in about this share of the chunks.
const SMALL_QUEUE_SHARE = 0.1;

/**
 * The ghost queue remembers one hash per this many index slots: 35-70 % as many keys as the
 * shard holds, for 3 bytes per slot. (In bench/hit-ratio a ghost twice as large measured the
 * same miss ratios or slightly worse, since the entries its bytes displace cost more; one half
 * as large forgot a loop's keys before they came back.)
 */
export const GHOST_PER_SLOT = 4;

/** S3-FIFO with whole-chunk small and main queues and a ghost queue of hashes. */
export class S3FifoPolicy implements Policy {
  readonly #host: PolicyHost;
  /** Entries read during their first pass, and reinserted ones. */
  readonly #main = new ChunkQueue();
  /** Where new entries spend their first pass. */
  readonly #small = new ChunkQueue();
  readonly queues: readonly ChunkQueue[] = [this.#main, this.#small];
  readonly tracksPositions = false;
  readonly slotBytes = 0;
  /** Hashes the small queue evicted; sized with the index, absent while it is minimal. */
  #ghost: GhostQueue | undefined;

  constructor(host: PolicyHost) {
    this.#host = host;
  }

  get bytes(): number {
    return this.#ghost?.bytes ?? 0;
  }

  queueFor(hash: number): ChunkQueue {
    if (this.#ghost?.take(hash) === true) {
      // Evicted from the small queue not long ago and wanted again: straight to main.
      this.#host.counters.ghostHits++;
      return this.#main;
    }
    return this.#small;
  }

  onInsert(): void {}

  onHit(words: Int32Array, infoWord: number): void {
    const info = words[infoWord]!;
    // Allocation-free, and a store only while the count is below 3: hot entries saturate.
    if ((info & FREQ_MASK) !== FREQ_MASK) words[infoWord] = info + FREQ_ONE;
  }

  onRemove(hash: number, _position: number, queue: ChunkQueue, evicted: boolean): void {
    if (evicted && queue === this.#small) this.#ghost?.add(hash);
  }

  keeps(words: Int32Array, infoWord: number, queue: ChunkQueue): boolean {
    const info = words[infoWord]!;
    const reads = info & FREQ_MASK;
    if (reads === 0) return false;
    // Into main with a fresh count, or back into main with one read spent.
    words[infoWord] = info - (queue === this.#small ? reads : FREQ_ONE);
    return true;
  }

  evict(need: number, force: boolean): boolean {
    return evictSmallOrMain(this.#host, this.#small, this.#main, SMALL_QUEUE_SHARE, need, force);
  }

  moved(): void {}

  rehashed(): void {}

  resized(capacity: number): void {
    this.#resizeGhost(capacity > MIN_CAPACITY ? capacity / GHOST_PER_SLOT : 0);
  }

  dispose(): void {
    this.#ghost = undefined;
  }

  /**
   * Rebuilds the ghost queue for `capacity` hashes. The ghost only advises, so nothing is
   * evicted for it: when its new arrays do not fit, it keeps its current size.
   */
  #resizeGhost(capacity: number): void {
    const host = this.#host;
    const ghost = this.#ghost;
    const current = ghost?.capacity ?? 0;
    if (capacity === current) return;
    if (capacity < current) {
      // Shrinking: the bytes go back first, so this never fails; the remembered hashes go too.
      host.release(ghost!.bytes);
      this.#ghost = undefined;
      if (capacity > 0 && host.tryReserve(GhostQueue.bytesFor(capacity))) {
        this.#ghost = new GhostQueue(capacity);
      }
      return;
    }
    if (!host.tryReserve(GhostQueue.bytesFor(capacity))) return;
    this.#ghost = ghost?.resized(capacity) ?? new GhostQueue(capacity);
    if (ghost !== undefined) host.release(ghost.bytes);
  }
}

/**
 * S3-FIFO's eviction step, shared by every policy with a small and a main queue of chunks: the
 * small queue's oldest chunk is cleaned while that queue holds at least `smallShare` of the
 * shard's chunk bytes (or main is empty), its read entries moving to main; otherwise main's oldest
 * chunk is cleaned in place. `force` evicts every entry of the chunk. False when both are empty.
 */
export function evictSmallOrMain(
  host: PolicyHost,
  small: ChunkQueue,
  main: ChunkQueue,
  smallShare: number,
  need: number,
  force: boolean,
): boolean {
  const fromSmall =
    small.chunkCount > 0 && (main.chunkCount === 0 || small.bytes >= host.arenaBytes * smallShare);
  const queue = fromSmall ? small : main;
  if (queue.chunkCount === 0) return false;
  host.clean(queue, need, force ? EVICT_ALL : EVICT, fromSmall && !force ? main : queue);
  return true;
}
