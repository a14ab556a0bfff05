/**
 * The room runtime's errors: a room that cannot take a message right now. They belong to the
 * service, not the cache library, and extend the library's `TiercacheError` with codes of their
 * own so the HTTP edge maps them like any other `TIERCACHE_*` failure.
 *
 * @module
 */
import { TiercacheError } from 'tiercache/errors';

/** The stable codes of the room runtime's errors. */
export const RoomErrorCodes = {
  ROOM_BUSY: 'TIERCACHE_ROOM_BUSY',
  ROOM_STOPPED: 'TIERCACHE_ROOM_STOPPED',
  ROOM_LIMIT: 'TIERCACHE_ROOM_LIMIT',
} as const;

/** One of the values of {@link RoomErrorCodes}. */
export type RoomErrorCode = (typeof RoomErrorCodes)[keyof typeof RoomErrorCodes];

/** A room's mailbox is full; the message was not queued. */
export class RoomBusyError extends TiercacheError<RoomErrorCode> {
  /** The room whose mailbox is full. */
  readonly rid: string;

  constructor(rid: string, capacity: number) {
    super(
      RoomErrorCodes.ROOM_BUSY,
      `Room "${rid}" has ${capacity} messages waiting (its mailbox is full); retry later`,
    );
    this.rid = rid;
  }
}

/** A message was sent to a room worker that has stopped (idle, or the router is shutting down). */
export class RoomStoppedError extends TiercacheError<RoomErrorCode> {
  /** The room that has stopped. */
  readonly rid: string;

  constructor(rid: string) {
    super(
      RoomErrorCodes.ROOM_STOPPED,
      `Room "${rid}" has stopped and takes no more messages; resend`,
    );
    this.rid = rid;
  }
}

/** The router already runs its maximum number of live rooms and none of them is idle. */
export class RoomLimitError extends TiercacheError<RoomErrorCode> {
  /** The router's `maxRooms`. */
  readonly maxRooms: number;

  constructor(maxRooms: number) {
    super(
      RoomErrorCodes.ROOM_LIMIT,
      `This node already runs ${maxRooms} live rooms (maxRooms) and none is idle; retry later or raise maxRooms`,
    );
    this.maxRooms = maxRooms;
  }
}
