/**
 * The service's data: users in SQLite through better-sqlite3 (created and seeded with
 * deterministic demo users on first start, read in batches by the profile cache's loader), and
 * the durable room store: a fenced log of acknowledged room messages plus snapshots, in SQLite
 * on one node or PostgreSQL when several nodes share rooms.
 *
 * @module
 */
export { demoUser } from './demo-users.ts';
export { PgRoomStore, type PgRoomStoreOptions } from './pg-room-store.ts';
export {
  type ClaimedRoom,
  type KeyedResult,
  type RoomLogEntry,
  type RoomStore,
  type RoomWrite,
  StaleLeaseError,
} from './room-store.ts';
export { SqliteRoomStore, type SqliteRoomStoreOptions } from './sqlite-room-store.ts';
export { UserDb, type UserDbOptions } from './user-db.ts';
export { idFromProfileKey, profileKey, type UserProfile } from './user-profile.ts';
export { type CommitBatch, WriteBatcher } from './write-batcher.ts';
