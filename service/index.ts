/**
 * The room service, the project's main job: the story's `room_work` done right. Room workers
 * (mailbox, handlers, timers) behind a router by rid and a rendezvous ring of nodes, all sharing
 * ONE TieredCache of user profiles (memory, Redis when configured, SQLite), an HTTP + WebSocket
 * API, and a live dashboard that replays the original leak (a cache per room) next to the fix.
 * It uses tiercache only through its public entry points, as any user would.
 *
 * @module
 */
export { type App, startApp } from './app.ts';
export { configFromEnv, type ServiceConfig } from './config.ts';
export { type Delivery, RoomService } from './room-service.ts';
