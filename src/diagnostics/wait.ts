/**
 * Resolves after `ms`, or early when `signal` aborts (a client that hung up should not keep a
 * profiler running for the rest of its window). Never rejects: the caller still collects what
 * was sampled so far.
 */
export function waitFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
