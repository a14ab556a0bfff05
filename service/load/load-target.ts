import type { RoomMessage } from '../dj-room/index.ts';

/** The outcome class of one bot action. */
export type Outcome = 'ok' | 'rejected' | 'busy' | 'failed';

/**
 * Where bots send their actions: the service in-process, or a node over HTTP. Each action may
 * carry a `signal`; a target that can wait on a network gives up when it aborts ('failed').
 */
export interface LoadTarget {
  /** Sends a message to a room. */
  send(rid: string, message: RoomMessage, signal?: AbortSignal): Promise<Outcome>;
  /** Reads a room (its member list comes from the cache's `getMany`). */
  snapshot(rid: string, signal?: AbortSignal): Promise<Outcome>;
  /** Reads one user's profile (the cache's `get`). */
  profile(userId: number, signal?: AbortSignal): Promise<Outcome>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Maps an HTTP status to an outcome: 4xx is the room saying no (a taken seat), 503 is a full mailbox. */
export function outcomeOf(status: number): Outcome {
  if (status < 300) return 'ok';
  if (status === 503) return 'busy';
  if (status < 500) return 'rejected';
  return 'failed';
}
