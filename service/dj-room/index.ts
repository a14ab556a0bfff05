/**
 * The story's live DJ room on the room runtime: members, seats, chat, dice and dry ice, the
 * schema every user message is validated against, the room's state with the one function that
 * changes it (shared by live handling and log replay), and the hub that broadcasts room events
 * to WebSocket watchers.
 *
 * @module
 */
export {
  type ChatLine,
  createDjRoom,
  type DjRoomDeps,
  type RoomDurability,
  type RoomRequest,
  type RoomSnapshot,
} from './dj-room.ts';
export {
  IdempotencyKeySchema,
  REQUEST_TYPES,
  RoomIdSchema,
  type RoomMessage,
  RoomMessageSchema,
  SEAT_COUNT,
} from './messages.ts';
export { type RoomEvent, RoomHub, type RoomListener } from './room-hub.ts';
export {
  type ChangeEvent,
  type RoomChange,
  RoomState,
  type RoomStateJson,
} from './room-state.ts';
