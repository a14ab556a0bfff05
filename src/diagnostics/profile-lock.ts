import { ProfileBusyError } from '../errors.ts';

/**
 * The process-wide "one profile at a time" lock. V8 has one heap sampler and one CPU profiler
 * per isolate, so every handler, server and LeakWatch in the process shares this one instance:
 * two overlapping windows would either fail inside V8 or silently corrupt each other.
 */
class ProfileLock {
  #holder: string | undefined;

  /** What holds the lock now (`'cpu'`, `'allocs'`, `'heap'`), or undefined when free. */
  get holder(): string | undefined {
    return this.#holder;
  }

  /**
   * Takes the lock for `kind` and returns its release function; throws `ProfileBusyError`
   * (`TIERCACHE_PROFILE_BUSY`) when another profile holds it.
   */
  acquire(kind: string): () => void {
    if (this.#holder !== undefined) throw new ProfileBusyError(this.#holder);
    this.#holder = kind;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holder = undefined;
    };
  }

  /** Runs `task` under the lock, releasing it however the task ends. */
  async run<T>(kind: string, task: () => Promise<T>): Promise<T> {
    const release = this.acquire(kind);
    try {
      return await task();
    } finally {
      release();
    }
  }
}

/** The single lock shared by every profile producer in the process. */
export const profileLock = new ProfileLock();
