import type { RoomWrite } from './room-store.ts';

interface Pending {
  write: RoomWrite;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Commits a batch of writes; returns, per write, undefined (committed) or the error refusing it. */
export type CommitBatch = (writes: RoomWrite[]) => Promise<(Error | undefined)[]>;

/**
 * Group commit: writes made during one tick go to the store in one transaction, and each
 * caller's promise settles only after that transaction commits. At most one batch is in
 * flight; writes arriving meanwhile form the next one. Rooms thus persist every message before
 * acknowledging it at the cost of one transaction per tick, not one per message.
 */
export class WriteBatcher {
  #commit: CommitBatch;
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #scheduled = false;

  constructor(commit: CommitBatch) {
    this.#commit = commit;
  }

  /** Queues a write; resolves once it is committed, rejects when it was refused or failed. */
  write(write: RoomWrite): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ write, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves once every write queued so far has been committed or refused. */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#flushing !== undefined || this.#scheduled) {
      if (this.#flushing !== undefined) await this.#flushing;
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing !== undefined) return;
    this.#scheduled = true;
    // setImmediate: every room that handled a message in this turn of the event loop joins.
    setImmediate(() => {
      this.#scheduled = false;
      this.#flushing = this.#flush().finally(() => {
        this.#flushing = undefined;
        if (this.#queue.length > 0) this.#schedule();
      });
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    let outcomes: (Error | undefined)[];
    try {
      outcomes = await this.#commit(batch.map((p) => p.write));
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i];
      if (outcome === undefined) batch[i]!.resolve();
      else batch[i]!.reject(outcome);
    }
  }
}
