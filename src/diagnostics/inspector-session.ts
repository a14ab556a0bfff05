import { Session } from 'node:inspector/promises';

/**
 * The process's one in-process inspector session, connected on first use. V8 has one heap
 * sampler and one CPU profiler per isolate, so every profile in this module goes through this
 * session rather than each caller opening its own (two sessions would fight over the samplers).
 */
let session: Session | undefined;

/** Returns the shared inspector session, connecting it the first time. */
export function inspectorSession(): Session {
  if (session === undefined) {
    session = new Session();
    session.connect();
  }
  return session;
}
