/**
 * A FIFO of arena chunks: the log entries of one queue are appended to. Entries go into the
 * newest chunk (the head); the oldest chunk is the next one cleaned. A shard has one queue under
 * the `fifo` policy and two under `s3fifo` (small and main); a chunk moves between them whole.
 *
 * @module
 */
import type { Chunk } from './arena.ts';

/** An ordered list of chunks, oldest first, with the sum of their sizes. */
export class ChunkQueue {
  /** Oldest first; the last is the head that receives appends. */
  readonly #chunks: Chunk[] = [];
  #bytes = 0;

  /** The chunk receiving appends, if any. */
  get head(): Chunk | undefined {
    return this.#chunks[this.#chunks.length - 1];
  }

  /** The chunk holding the oldest entries, if any. */
  get oldest(): Chunk | undefined {
    return this.#chunks[0];
  }

  /** Number of chunks. */
  get chunkCount(): number {
    return this.#chunks.length;
  }

  /** Sum of the chunks' sizes, in bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The chunks, oldest first (the live array: copy it before moving chunks). */
  get chunks(): readonly Chunk[] {
    return this.#chunks;
  }

  /** Bytes of live slots in the queue's chunks (a walk over its chunks). */
  liveBytes(): number {
    let live = 0;
    for (const chunk of this.#chunks) live += chunk.live;
    return live;
  }

  /** Appends `chunk` (in no queue) as the new head. */
  push(chunk: Chunk): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.size;
    chunk.queue = this;
  }

  /** Takes `chunk` out of this queue. */
  remove(chunk: Chunk): void {
    const at = this.#chunks.indexOf(chunk);
    if (at < 0) return;
    this.#chunks.splice(at, 1);
    this.#bytes -= chunk.size;
    chunk.queue = undefined;
  }

  /** Moves `chunk`, already in this queue, to the head (its entries become the newest). */
  moveToHead(chunk: Chunk): void {
    const at = this.#chunks.indexOf(chunk);
    if (at < 0 || at === this.#chunks.length - 1) return;
    this.#chunks.splice(at, 1);
    this.#chunks.push(chunk);
  }
}
