/**
 * The background expiry sweep: one `unref()`ed interval per store that reaches its store through
 * a `WeakRef`. The callback is a module-level function (the timer passes the `WeakRef` as its
 * argument), so no closure can capture the store: a store dropped without `close()` is collected,
 * and the next tick clears its own timer. This is the Node form of bigcache's cleanup goroutine,
 * without its leak.
 *
 * @module
 */

import { WarningCodes } from '../errors.ts';

/** Something with expired entries to purge. */
export interface Sweepable {
  purgeExpired(): number;
}

/** Starts a sweep of `target` every `intervalMs`; the timer never keeps the process alive. */
export function startSweeper(target: WeakRef<Sweepable>, intervalMs: number): NodeJS.Timeout {
  const timer = setInterval(sweepTick, intervalMs, target);
  timer.unref();
  return timer;
}

// Node calls interval callbacks with `this` bound to the Timeout, so the tick can stop itself.
function sweepTick(this: NodeJS.Timeout, target: WeakRef<Sweepable>): void {
  const store = target.deref();
  if (store === undefined) {
    clearInterval(this);
    return;
  }
  try {
    store.purgeExpired();
  } catch (error) {
    // Only a user's onRemove callback can throw here, and no caller is waiting for the error:
    // report it instead of letting a timer crash the process. The store itself stays consistent.
    const message = error instanceof Error ? error.message : String(error);
    process.emitWarning(`onRemove threw during the background expiry sweep: ${message}`, {
      code: WarningCodes.ON_REMOVE_FAILED,
    });
  }
}
