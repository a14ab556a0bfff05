/**
 * The room runtime, the story's `room_work` done in Node: a {@link RoomWorker} per room id with
 * a bounded mailbox, request/event/command handlers and named timers, and a {@link RoomRouter}
 * that creates workers on demand, stops idle ones (releasing everything they held), bounds how
 * many live at once and drains them on shutdown. It knows nothing about caches or HTTP.
 *
 * @module
 */
export { Mailbox } from './mailbox.ts';
export {
  RoomBusyError,
  type RoomErrorCode,
  RoomErrorCodes,
  RoomLimitError,
  RoomStoppedError,
} from './room-errors.ts';
export {
  type RoomFactory,
  RoomRouter,
  type RoomRouterOptions,
  type StopReason,
} from './room-router.ts';
export {
  type CommandHandler,
  type EventHandler,
  type RequestHandler,
  type RoomErrorContext,
  RoomWorker,
  type RoomWorkerOptions,
  type RoomWorkerState,
} from './room-worker.ts';
