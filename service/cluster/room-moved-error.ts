import { TiercacheError } from 'tiercache/errors';
import { type RoomErrorCode, RoomErrorCodes } from '../runtime/index.ts';

/**
 * This node cannot run the room: another node holds its lease, or this node's lease lapsed
 * (it was frozen or cut off from Redis). Code `TIERCACHE_ROOM_STOPPED` (HTTP 503): nothing was
 * applied, so the client resends, with the same idempotency key, and reaches the owner.
 */
export class RoomMovedError extends TiercacheError<RoomErrorCode> {
  readonly rid: string;

  constructor(rid: string, detail: string) {
    super(
      RoomErrorCodes.ROOM_STOPPED,
      `Room "${rid}" is not run by this node now (${detail}); resend`,
    );
    this.rid = rid;
  }
}
