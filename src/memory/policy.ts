/**
 * The contract between a shard and its eviction policy. The shard owns the index, the arena and
 * its chunks, expiry, and the mechanics of cleaning a chunk (dropping dead slots, relocating
 * kept entries, releasing emptied chunks). The policy decides **which** entries go when room is
 * needed: where a new entry's slot is appended, what a read or a write records, which entries a
 * full shard evicts and which it keeps. One policy object serves one shard.
 *
 * ## Queues of chunks, queues of entries
 *
 * Entries are appended to the head chunk of one of the policy's {@link ChunkQueue}s ({@link
 * Policy.queues}, at least one): a chunk-granular policy (`fifo`, `s3fifo`) orders entries by
 * the chunk log itself. A policy may also keep per-entry state in typed arrays of its own,
 * indexed by the entry's **index position** (the even position `p` of its slot in the shard's
 * {@link IndexTable}, stable while the entry lives, except as {@link Policy.moved} and {@link
 * Policy.rehashed} report), for example per-entry FIFO/LRU queues as `Int32Array` links, a
 * frequency sketch, or a ghost queue of hashes. It then chooses victims entry by entry with
 * {@link PolicyHost.evictAt}; the shard reclaims their dead bytes when it cleans chunks.
 *
 * ## Call order (the guarantees a policy may rely on)
 *
 * - New key: {@link Policy.queueFor} (admission: which queue the slot joins) before space is
 *   made; then the slot is written and inserted, then {@link Policy.onInsert}.
 * - Read of a live entry (`get`, `getString`): {@link Policy.onHit}. `has`, `peek` and
 *   iteration call nothing.
 * - Write of a key already present: the shard keeps the {@link POLICY_MASK} bits of the entry's
 *   key-info word; in place, it then calls {@link Policy.onHit}; when the new value needs a larger
 *   slot, the old slot is removed ({@link Policy.onRemove}, not evicted), the new one joins the
 *   old one's queue, then {@link Policy.onInsert} and {@link Policy.onHit}.
 * - Any removal (delete, expiry, eviction, a rewrite that moves): {@link Policy.onRemove} while
 *   the entry is still at its position, before the index slot is emptied.
 * - Shard start: {@link Policy.resized} with the first index's capacity.
 * - Index growth or shrink: {@link Policy.rehashed} (positions changed; only when {@link
 *   Policy.tracksPositions}), then {@link
 *   Policy.resized} with the new capacity (a policy sized by the index resizes here).
 * - Room needed: {@link Policy.evict}, repeatedly, until the shard has room or it returns false.
 *   This is also how a shard's first eviction reaches its policy, whatever caused it (the shard's
 *   own limit, a budget refusing memory, or another store or shard taking a chunk back).
 *   Between calls the shard may relocate entries (locations change, positions do not).
 * - {@link Policy.dispose} when the shard is dropped: every byte was already given back.
 *
 * ## Costs
 *
 * {@link Policy.onHit} runs on every cache hit: it must not allocate, and should touch at most
 * the entry's header word and one or two typed-array cells. Every array a policy holds is
 * reserved through {@link PolicyHost.tryReserve} before it is allocated (so it counts in the
 * store's `reservedBytes`, its `maxBytes` and its budget) and given back with {@link
 * PolicyHost.release}, or declared per index slot ({@link Policy.slotBytes}) and reserved by the
 * shard with the index; {@link Policy.bytes} reports their sum. No per-entry JS object.
 *
 * A policy may reserve an array and allocate it later (as the `s3fifo` ghost queue does on its
 * first eviction, and `adaptive` its sketch once the shard is close to full, {@link
 * PolicyHost.reservedBytes} against {@link PolicyHost.limitBytes}): the reservation is what
 * counts, so `reservedBytes` does not change when the array appears.
 *
 * To add a policy: a file implementing {@link Policy}, one line in `policies.ts`, and one line in
 * the policy list of test/memory/model.property.test.ts.
 *
 * @module
 */
import type { Chunk } from './arena.ts';
import type { ChunkQueue } from './chunk-queue.ts';
import type { Counters } from './counters.ts';
import type { POLICY_MASK } from './entry-layout.ts';
import type { IndexTable } from './index-table.ts';

/** {@link PolicyHost.clean} keeps every live entry (reclaim of dead space only). */
export const RELOCATE = 0;
/** {@link PolicyHost.clean} asks {@link Policy.keeps} for each live entry; kept ones move on. */
export const EVICT = 1;
/** {@link PolicyHost.clean} evicts every live entry, whatever the policy. */
export const EVICT_ALL = 2;
/** How {@link PolicyHost.clean} treats the live entries of the chunk it cleans. */
export type CleanMode = typeof RELOCATE | typeof EVICT | typeof EVICT_ALL;

/** What a shard offers its policy. */
export interface PolicyHost {
  /** The store's counters (`evictions`, `reinserted` and `ghostHits` are the policy's to count). */
  readonly counters: Counters;
  /** Bytes of the shard's arena chunks. */
  readonly arenaBytes: number;
  /** Bytes of the shard's chunks not held by live entries (dead, expired-but-unswept, unused). */
  readonly freeBytes: number;
  /**
   * Bytes the shard holds: chunks, index and policy arrays (what {@link tryReserve} and {@link
   * release} move). With {@link limitBytes}, tells a policy how close the shard is to full.
   */
  readonly reservedBytes: number;
  /**
   * The most bytes the shard may hold (`floor(maxBytes / shards)`). A shard under a shared
   * budget may be refused memory, and evict, long before it gets there.
   */
  readonly limitBytes: number;
  /** The shard's index (read-only use: `slots`, `capacity`, `count`). */
  readonly table: IndexTable;
  /** Reserves `bytes` under the shard's limit and the store's budget; false when refused. */
  tryReserve(bytes: number): boolean;
  /** Gives back bytes reserved with {@link tryReserve}. */
  release(bytes: number): void;
  /**
   * Cleans the oldest chunk of `queue` so that `need` bytes become free: dead and expired slots
   * are dropped, live ones kept or evicted as `mode` says. Kept entries go to `destination`
   * (relocated into its head's free tail, the rest compacted in place, the chunk becoming
   * `destination`'s head), so FIFO order is kept. `queue` must hold a chunk.
   */
  clean(queue: ChunkQueue, need: number, mode: CleanMode, destination: ChunkQueue): void;
  /** Evicts the live entry at index position `position` (reported as `'evicted'`). */
  evictAt(position: number): void;
  /** The chunk holding the entry at `position`; with {@link offsetAt}, reaches its header. */
  chunkAt(position: number): Chunk;
  /** The byte offset in {@link chunkAt} of the entry at `position`. */
  offsetAt(position: number): number;
}

/** An eviction policy of one shard: see the module comment for the contract. */
export interface Policy {
  /** Every queue, in the order `keys()` and the sweep walk them. Never empty. */
  readonly queues: readonly ChunkQueue[];
  /**
   * Whether the policy keeps per-entry state by index position: only then does the shard report
   * {@link moved} and {@link rehashed} (a policy that does not need them pays nothing).
   */
  readonly tracksPositions: boolean;
  /**
   * Bytes per index slot the policy keeps (per-entry state by position): the shard reserves
   * `capacity * slotBytes` together with the index, before {@link resized}, and releases them
   * with it. Absent or 0 for a policy without per-slot arrays.
   */
  readonly slotBytes?: number;
  /** Bytes of the policy's own arrays (already part of the shard's reserved bytes). */
  readonly bytes: number;
  /** The queue the slot of a new key (hash `hash`) is appended to: the admission decision. */
  queueFor(hash: number): ChunkQueue;
  /** A new key's entry is live at index position `position`, in `queue`. */
  onInsert(hash: number, position: number, queue: ChunkQueue): void;
  /**
   * A read (or in-place rewrite) of the live entry at `position`, whose key-info word is
   * `words[infoWord]`; the policy may update its {@link POLICY_MASK} bits there. No allocation.
   */
  onHit(words: Int32Array, infoWord: number, position: number): void;
  /** The entry at `position` (hash `hash`, in `queue`) leaves; `evicted`: to make room. */
  onRemove(hash: number, position: number, queue: ChunkQueue, evicted: boolean): void;
  /**
   * During a {@link EVICT} clean of `queue`: whether the live entry whose key-info word
   * is `words[infoWord]` is kept (it may rewrite its policy bits). Kept entries count as
   * `reinserted`; the others are evicted.
   */
  keeps(words: Int32Array, infoWord: number, queue: ChunkQueue): boolean;
  /**
   * Frees room for `need` bytes: cleans a chunk ({@link PolicyHost.clean}) or evicts entries
   * ({@link PolicyHost.evictAt}). `force`: earlier calls made no room, evict regardless of what
   * the entries' use says. Returns false when there is nothing left to evict. With `need` 0 and
   * `force` (a budget taking memory back) it must release a whole chunk, e.g. by cleaning the
   * oldest chunk of a queue with {@link EVICT_ALL}. After an eviction by a policy that {@link
   * tracksPositions}, the shard relocates entries again before asking for more, so evicting a
   * few entries per call is enough.
   */
  evict(need: number, force: boolean): boolean;
  /**
   * The entry at `from` now sits at `to` (index backward shift on a removal; `to` was empty).
   * Called only when {@link tracksPositions}.
   */
  moved(from: number, to: number): void;
  /**
   * The index was rebuilt: the entry at old position `2 * i` is now at `map[i]` (-1 where there
   * was none). Called before {@link resized}.
   */
  rehashed(map: Int32Array): void;
  /**
   * The index now has `capacity` slots (also called once when the shard starts): per-slot arrays
   * are resized here (their {@link slotBytes} are already reserved); other arrays sized by the
   * index reserve their own bytes and may stay as they are when refused.
   */
  resized(capacity: number): void;
  /** The shard is dropped and every byte was released: forget everything. */
  dispose(): void;
}

/** Makes a policy for one shard. */
export type PolicyFactory = (host: PolicyHost) => Policy;
