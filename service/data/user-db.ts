import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { demoUser } from './demo-users.ts';
import type { UserProfile } from './user-profile.ts';

/** Options of a {@link UserDb}. */
export interface UserDbOptions {
  /** Path of the SQLite file (its folder is created), or `:memory:`. */
  path: string;
  /** Demo users created when the table is empty, with ids 1..seedUsers. @default 10_000 */
  seedUsers?: number;
}

/**
 * The users table in SQLite (better-sqlite3): created and seeded with demo users on first
 * open, read in batches by the profile cache's loader. Queries are synchronous, as
 * better-sqlite3's are; a batch of ids is one statement.
 */
export class UserDb {
  #db: Database.Database;
  #byIds: Database.Statement<[string], UserProfile>;
  #insert: Database.Statement<[number, string, string, number, string]>;
  #queries = 0;
  #rowsRead = 0;

  constructor(options: UserDbOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.#db = new Database(options.path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.exec(`CREATE TABLE IF NOT EXISTS users (
      id     INTEGER PRIMARY KEY,
      name   TEXT NOT NULL,
      avatar TEXT NOT NULL,
      level  INTEGER NOT NULL,
      bio    TEXT NOT NULL
    )`);
    // One prepared statement for any batch size: the ids travel as one JSON array.
    this.#byIds = this.#db.prepare(
      'SELECT id, name, avatar, level, bio FROM users WHERE id IN (SELECT value FROM json_each(?))',
    );
    this.#insert = this.#db.prepare(
      'INSERT OR REPLACE INTO users (id, name, avatar, level, bio) VALUES (?, ?, ?, ?, ?)',
    );
    const { count } = this.#db.prepare('SELECT count(*) AS count FROM users').get() as {
      count: number;
    };
    if (count === 0) this.#seed(options.seedUsers ?? 10_000);
  }

  /** Users in the table. */
  count(): number {
    return (this.#db.prepare('SELECT count(*) AS count FROM users').get() as { count: number })
      .count;
  }

  /** Statements run by {@link findMany} and rows they returned: how often the cache fell through. */
  stats(): { queries: number; rowsRead: number } {
    return { queries: this.#queries, rowsRead: this.#rowsRead };
  }

  /** The profiles of `ids` that exist, keyed by id, in one query. */
  findMany(ids: readonly number[]): Map<number, UserProfile> {
    this.#queries++;
    const rows = this.#byIds.all(JSON.stringify(ids));
    this.#rowsRead += rows.length;
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** Writes a profile (insert or replace). */
  save(user: UserProfile): void {
    this.#insert.run(user.id, user.name, user.avatar, user.level, user.bio);
  }

  /** Closes the database file. */
  close(): void {
    this.#db.close();
  }

  #seed(users: number): void {
    const insertAll = this.#db.transaction((n: number) => {
      for (let id = 1; id <= n; id++) this.save(demoUser(id));
    });
    insertAll(users);
  }
}
