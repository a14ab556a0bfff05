/**
 * The service's data: users in SQLite through better-sqlite3, created and seeded with
 * deterministic demo users on first start, read in batches (one statement per batch) by the
 * profile cache's loader.
 *
 * @module
 */
export { demoUser } from './demo-users.ts';
export { UserDb, type UserDbOptions } from './user-db.ts';
export { idFromProfileKey, profileKey, type UserProfile } from './user-profile.ts';
