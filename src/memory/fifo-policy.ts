/**
 * The `fifo` eviction policy (bigcache's order): one queue of chunks; when the shard is full,
 * every live entry of the oldest chunk is evicted. Reads write nothing and the policy holds no
 * array, so it costs no byte beyond the chunks and the index.
 *
 * @module
 */
import { ChunkQueue } from './chunk-queue.ts';
import { EVICT, EVICT_ALL, type Policy, type PolicyHost } from './policy.ts';

/** First in, first out, a chunk at a time. */
export class FifoPolicy implements Policy {
  readonly #host: PolicyHost;
  readonly #queue = new ChunkQueue();
  readonly queues: readonly ChunkQueue[] = [this.#queue];
  readonly tracksPositions = false;
  readonly slotBytes = 0;
  readonly bytes = 0;

  constructor(host: PolicyHost) {
    this.#host = host;
  }

  queueFor(): ChunkQueue {
    return this.#queue;
  }

  onInsert(): void {}

  onHit(): void {}

  onRemove(): void {}

  keeps(): boolean {
    return false;
  }

  evict(need: number, force: boolean): boolean {
    const queue = this.#queue;
    if (queue.chunkCount === 0) return false;
    this.#host.clean(queue, need, force ? EVICT_ALL : EVICT, queue);
    return true;
  }

  moved(): void {}

  rehashed(): void {}

  resized(): void {}

  dispose(): void {}
}
