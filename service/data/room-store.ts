import { TiercacheError } from 'tiercache/errors';
import { type RoomErrorCode, RoomErrorCodes } from '../runtime/index.ts';

/** One acknowledged room message as the log keeps it. */
export interface RoomLogEntry {
  rid: string;
  /** Position in the room's log, 1, 2, 3, … with no gaps. */
  seq: number;
  /** The lease token the owner held when it applied the message (the fence). */
  token: number;
  /** The node (URL) that applied it. */
  node: string;
  /** The client's idempotency key, if it sent one. */
  key: string | null;
  /** The change as JSON (see `RoomChange` in service/dj-room). */
  change: string;
  /** The reply the client got, as JSON, kept with the key so a retry gets it again. */
  result: string | null;
  /** When it was applied, in ms since the epoch. */
  at: number;
}

/** A keyed entry as loaded for deduplication. */
export interface KeyedResult {
  key: string;
  result: string | null;
  seq: number;
}

/** What a new owner loads when it claims a room: the latest snapshot and the log after it. */
export interface ClaimedRoom {
  /** The token now on record for the room: the claim's own (or a new local one). */
  token: number;
  /** The latest snapshot, if any: its state (JSON) and the last seq it contains. */
  snapshot: { seq: number; state: string } | undefined;
  /** Entries after the snapshot, in seq order. */
  log: RoomLogEntry[];
  /** Keyed entries among the last `keyWindow` of the log, oldest first. */
  keys: KeyedResult[];
  /** The highest seq in the log (0 for a new room). */
  lastSeq: number;
}

/** A write (log entry or snapshot) that goes to the store, fenced by its token. */
export type RoomWrite =
  | { kind: 'entry'; entry: RoomLogEntry }
  | { kind: 'snapshot'; rid: string; token: number; seq: number; state: string };

/**
 * Durable room state: a per-room log of acknowledged messages plus snapshots, behind a fence.
 * A claim records a newer lease token for the room; from then on every write carrying an older
 * token is refused with {@link StaleLeaseError}, so an owner that lost its lease (frozen,
 * partitioned) can no longer change the room. SQLite implements it for one node, PostgreSQL
 * when several nodes share state.
 */
export interface RoomStore {
  /** `sqlite` or `postgres`. */
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Fences the room with `token` (which must be above the one on record; `undefined`: the store
   * takes the next one itself, for a single node without a lease service) and loads it.
   * Rejects with {@link StaleLeaseError} when a newer token is on record.
   */
  claim(rid: string, token: number | undefined, keyWindow: number): Promise<ClaimedRoom>;
  /** Commits a write (batched with others of the same tick); resolves once it is durable. */
  write(write: RoomWrite): Promise<void>;
  /** The stored result of an older keyed entry of the room, or undefined when the key is new. */
  findKey(rid: string, key: string): Promise<{ result: string | null } | undefined>;
  /** Every entry of a room in seq order (tests and tools). */
  entries(rid: string): Promise<RoomLogEntry[]>;
  /** Closes the connection(s); pending writes are flushed first. */
  close(): Promise<void>;
}

/** A write carried a lease token older than the room's latest: its writer is no longer the owner. */
export class StaleLeaseError extends TiercacheError<RoomErrorCode> {
  readonly rid: string;

  constructor(rid: string, token: number, current: number | undefined) {
    super(
      RoomErrorCodes.ROOM_STOPPED,
      `Room "${rid}" moved to another node (lease token ${token} is older than ${current ?? 'the one on record'}); resend`,
    );
    this.rid = rid;
  }
}
