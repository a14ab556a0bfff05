/**
 * The story's live DJ room on the room runtime: members, seats, chat, dice and dry ice, the
 * schema every user message is validated against, and the hub that broadcasts room events to
 * WebSocket watchers.
 *
 * @module
 */
export { type ChatLine, createDjRoom, type DjRoomDeps, type RoomSnapshot } from './dj-room.ts';
export {
  REQUEST_TYPES,
  RoomIdSchema,
  type RoomMessage,
  RoomMessageSchema,
  SEAT_COUNT,
} from './messages.ts';
export { type RoomEvent, RoomHub, type RoomListener } from './room-hub.ts';
